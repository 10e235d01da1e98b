using System.CommandLine;
using Atlas.Lsp.Bench;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Atlas.Lsp.Server;

namespace Atlas.Lsp;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var stdio = new Option<bool>("--stdio") { Description = "Serve LSP over stdin/stdout (what editors run)." };
        var root = new RootCommand("Atlas: local, private AI code completion as a language server. Editors run `atlas-lsp --stdio`.");
        root.Options.Add(stdio);
        root.Subcommands.Add(CompleteCommand.Create());
        root.Subcommands.Add(PromptCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(BenchCommands.Create());
        root.SetAction(async (result, cancellationToken) =>
        {
            if (!result.GetValue(stdio))
            {
                Console.Error.WriteLine("atlas-lsp: nothing to do. Editors start `atlas-lsp --stdio`; see `atlas-lsp --help`.");
                return 2;
            }
            return await ServeStdioAsync();
        });
        return root.Parse(args).InvokeAsync();
    }

    private static async Task<int> ServeStdioAsync()
    {
        using var logging = StderrLogging.Create();
        using var host = new ServerHost(logging);
        var code = await host.RunAsync(Console.OpenStandardInput(), Console.OpenStandardOutput());
        return code;
    }
}
