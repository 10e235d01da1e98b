using System.Diagnostics;
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

    private static string Project()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "src", "Atlas.Lsp", "Atlas.Lsp.csproj");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"No src/Atlas.Lsp/Atlas.Lsp.csproj above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int Code, string Out, string Err)> Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        return (process.ExitCode, await output, await error);
    }
}
