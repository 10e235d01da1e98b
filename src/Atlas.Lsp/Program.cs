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
        // Before the parser, which would print the version alone: the llama.cpp build matters as much.
        if (args is ["--version"]) return Task.FromResult(PrintVersion());
        var stdio = new Option<bool>("--stdio") { Description = "Serve LSP over stdin/stdout (what editors run)." };
        var model = new Option<string?>("--model") { Description = "With --stdio: the model to load when the editor configures none (atlas.model wins). A GGUF path or a catalog name." };
        var draft = new Option<string?>("--draft") { Description = "With --stdio: the draft model to use when the editor configures none (atlas.draftModel wins)." };
        var root = new RootCommand("Atlas: local, private AI code completion as a language server. Editors run `atlas-lsp --stdio`.");
        root.Options.Add(stdio);
        root.Options.Add(model);
        root.Options.Add(draft);
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
            return await ServeStdioAsync(new AtlasSettings { Model = result.GetValue(model), DraftModel = result.GetValue(draft) });
        });
        return root.Parse(args).InvokeAsync();
    }

    /// <summary>The version, the backend and the CPU features the llama.cpp build uses (what a bug report needs).</summary>
    private static int PrintVersion()
    {
        var version = typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0";
        Console.WriteLine($"atlas-lsp {version}");
        Console.WriteLine($"backend: {Atlas.Engine.Loading.NativeBuild.Backend} (LLamaSharp {Atlas.Engine.Loading.NativeBuild.LLamaSharpVersion}), GPU offload: {(Atlas.Engine.Loading.NativeBuild.GpuOffload() ? "yes" : "no")}");
        Console.WriteLine($"llama.cpp: {Atlas.Engine.Loading.NativeBuild.SystemInfo()}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical processors, {Atlas.Engine.Loading.CpuCores.Physical} physical cores, {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}, .NET {Environment.Version}");
        return 0;
    }

    private static async Task<int> ServeStdioAsync(AtlasSettings defaults)
    {
        using var logging = StderrLogging.Create();
        using var host = new ServerHost(logging, defaults);
        var code = await host.RunAsync(Console.OpenStandardInput(), Console.OpenStandardOutput());
        return code;
    }
}
