using System.CommandLine;
using Atlas.Lsp.Bench;
using Atlas.Lsp.Cli;

namespace Atlas.Lsp;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Atlas: local, private AI code completion as a language server.");
        root.Subcommands.Add(CompleteCommand.Create());
        root.Subcommands.Add(BenchCommands.Create());
        return root.Parse(args).InvokeAsync();
    }
}
