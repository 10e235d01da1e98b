using Atlas.Engine;
using Atlas.TestModels;

namespace Atlas.Engine.Tests;

/// <summary>The models these tests run on: the shared tiny Llama-2 model and synthetic ones written on demand.</summary>
internal static class Models
{
    public static string Tiny => SharedModels.Find("llama-2-tiny-random.gguf");

    public static EngineSettings Settings(string path, int contextSize = 1024, KvCacheType kv = KvCacheType.Q8_0) =>
        new() { ModelPath = path, ContextSize = contextSize, KvCache = kv, Threads = 2 };

    public static Task<CompletionEngine> LoadAsync(string path, int contextSize = 1024, KvCacheType kv = KvCacheType.Q8_0) =>
        CompletionEngine.LoadAsync(Settings(path, contextSize, kv));

    /// <summary>A synthetic model with head size 64 (q8_0-capable) and the given FIM family's tokens.</summary>
    public static string Synthetic(FimTokens fim = FimTokens.None) =>
        SyntheticModel.GetOrCreate(new SyntheticModelSpec { Fim = fim });
}

/// <summary>One tiny-model engine shared by a test class (loading is cheap, but not free).</summary>
public sealed class TinyEngineFixture : IAsyncLifetime
{
    public CompletionEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync() => Engine = await Models.LoadAsync(Models.Tiny);

    public Task DisposeAsync()
    {
        Engine.Dispose();
        return Task.CompletedTask;
    }
}
