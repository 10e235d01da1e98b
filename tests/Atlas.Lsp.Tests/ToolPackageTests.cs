using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>
/// atlas-lsp as users of Neovim and Helix install it: `dotnet pack` makes the tool package, `dotnet tool install` puts
/// the command in a tool folder, and the installed command runs on its own (catalog and natives inside the package).
/// </summary>
public sealed class ToolPackageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_packed_tool_installs_into_a_tool_path_and_completes_on_the_shared_model()
    {
        var root = Directory.CreateTempSubdirectory("atlas-tool-").FullName;
        var feed = Path.Combine(root, "feed");
        var tools = Path.Combine(root, "tools");
        try
        {
            var pack = await Run("dotnet", "pack", Project(), "-c", "Release", "-o", feed, "--nologo");
            Assert.True(pack.Code == 0, pack.Out + pack.Err);
            var package = Assert.Single(Directory.GetFiles(feed, "atlas-lsp.*.nupkg"));

            var install = await Run("dotnet", "tool", "install", "atlas-lsp", "--tool-path", tools, "--add-source", feed);
            Assert.True(install.Code == 0, install.Out + install.Err);
            var command = Path.Combine(tools, OperatingSystem.IsWindows() ? "atlas-lsp.exe" : "atlas-lsp");

            var version = await Run(command, "--version");
            Assert.True(version.Code == 0, version.Out + version.Err);
            Assert.Contains("backend: Cpu", version.Out);
            Assert.Contains("llama.cpp: CPU : ", version.Out);

            var list = await Run(command, "models", "list");
            Assert.Contains("qwen2.5-coder-1.5b", list.Out);

            var file = Path.Combine(root, "Sample.cs");
            await File.WriteAllTextAsync(file, "class Counter\n{\n    private int _count;\n    public int Next() => \n}\n");
            var complete = await Run(command, "complete", "--model", SharedModels.Find(SharedModels.CSharpTarget), "--file", file, "--line", "3", "--character", "24", "--max-tokens", "12", "--json");
            Assert.True(complete.Code == 0, complete.Out + complete.Err);
            Assert.Contains("\"text\"", complete.Out);
            Console.WriteLine($"tool package {new FileInfo(package).Length / 1e6:F1} MB");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task The_self_contained_single_file_build_runs_without_dotnet_and_loads_llama_cpp()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64) return; // the README's linux-x64 example
        var output = Directory.CreateTempSubdirectory("atlas-single-").FullName;
        try
        {
            var publish = await Run("dotnet", "publish", Project(), "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true", "-o", output, "--nologo");
            Assert.True(publish.Code == 0, publish.Out + publish.Err);
            // The natives beside the executable, not inside it: bundled, they were extracted where LLamaSharp does not look.
            Assert.True(File.Exists(Path.Combine(output, "runtimes", "linux-x64", "native", "avx2", "libllama.so")));
            var version = await Run(Path.Combine(output, "atlas-lsp"), "--version");
            Assert.True(version.Code == 0, version.Out + version.Err);
            Assert.Contains("llama.cpp: CPU : ", version.Out);
            Console.WriteLine($"single-file executable {new FileInfo(Path.Combine(output, "atlas-lsp")).Length / 1e6:F1} MB");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static string Project() => ChildProcess.InRepository("src", "Atlas.Lsp", "Atlas.Lsp.csproj");

    private static Task<(int Code, string Out, string Err)> Run(string program, params string[] args) =>
        ChildProcess.RunAsync(program, args, Patience, new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
}
