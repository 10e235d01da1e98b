using System.CommandLine;

namespace Atlas.Lsp.Bench;

/// <summary>`atlas-lsp bench …`: programs that print figures. Each subcommand is one benchmark.</summary>
internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks that print figures.");
        bench.Subcommands.Add(EngineBench.Create());
        bench.Subcommands.Add(SpeculativeBench.Create());
        bench.Subcommands.Add(DecodeBench.Create());
        bench.Subcommands.Add(FixesBench.Create());
        bench.Subcommands.Add(LspBench.Create());
        bench.Subcommands.Add(ContextBench.Create());
        bench.Subcommands.Add(PeerBench.Create());
        bench.Subcommands.Add(QualityBench.Create());
        bench.Subcommands.Add(BusyLoad.Command());
        return bench;
    }
}
