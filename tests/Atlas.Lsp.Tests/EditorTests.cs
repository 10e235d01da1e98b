using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>
/// The server as editors drive it: Helix's exact initialize and completion shapes (Helix is not packaged here, so
/// its requests are replayed from fixtures), and a real headless Neovim attaching atlas-lsp to a buffer.
/// </summary>
public sealed class EditorTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static string Repository()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "tests", "editors"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    [Fact]
    public async Task Helix_initialize_and_completion_requests_get_what_helix_shows_in_its_menu()
    {
        await using var client = LspClient.Start();
        var initialize = JsonNode.Parse(Fixture("helix-initialize.json").Replace("MODEL_PATH", LspClient.TinyModel))!;
        var result = await client.RequestAsync("initialize", initialize);
        Assert.NotNull(result["result"]!["capabilities"]!["completionProvider"]);
        // No positionEncoding answered: Helix then uses UTF-16, which is what the server counts in.
        Assert.Null(result["result"]!["capabilities"]!["positionEncoding"]);
        await client.NotifyAsync("initialized", new { });
        // Java rather than C#: the tiny model's random words would not pass C#'s syntax guard.
        await client.OpenAsync("file:///work/demo/Demo.java", "class Demo\n{\n    int Twice(int value)\n    {\n        return val\n    }\n}\n", "java");

        var answer = await client.RequestAsync("textDocument/completion", JsonNode.Parse(Fixture("helix-completion.json")));
        var list = answer["result"]!;
        Assert.True((bool)list["isIncomplete"]!);
        var item = Assert.Single(list["items"]!.AsArray())!;
        Assert.StartsWith("val", (string)item["label"]!);
        Assert.Equal("Atlas", (string)item["detail"]!);
        Assert.Equal(1, (int)item["insertTextFormat"]!); // plain text: Helix would expand $ in a snippet
        Assert.Equal(15, (int)item["textEdit"]!["range"]!["start"]!["character"]!);
        Assert.Equal(18, (int)item["textEdit"]!["range"]!["end"]!["character"]!);
    }

    [Fact]
    public async Task A_real_headless_neovim_gets_the_completion_item_from_the_server()
    {
        var nvim = new[] { "/usr/bin/nvim", "/usr/local/bin/nvim" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Neovim is not installed: CI installs it with `apt-get install -y neovim` (.ci/run).");
        var folder = Path.Combine(Repository(), "tests", "editors", "neovim");
        var output = Path.Combine(Path.GetTempPath(), $"atlas-nvim-{Guid.NewGuid():N}.txt");
        var info = new ProcessStartInfo(nvim) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "--headless", "-n", "-i", "NONE", "-u", "init.lua", "Sample.java" }) info.ArgumentList.Add(a);
        info.Environment["ATLAS_NVIM_OUT"] = output;
        info.Environment["ATLAS_LSP_DLL"] = Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll");
        info.Environment["ATLAS_MODEL"] = LspClient.TinyModel;
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        var result = File.ReadAllText(output);
        Assert.Contains("label=val", result);
        Assert.Contains("detail=Atlas", result);
    }
}
