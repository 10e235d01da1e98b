namespace Atlas.Lsp.Tests;

/// <summary>
/// The long sessions (the protocol fuzzer, the soak) run alone, after the other tests and one after the other: side by
/// side on 2 cores they slowed each other more than twofold (fuzz 26 s → 61 s, soak 100 s → 147 s), and the latency
/// and memory figures they print should be the server's, not the neighbours'.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class VolumeCollection
{
    public const string Name = "Long sessions";
}
