using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Documents;
using Atlas.EditorScenario;
using Atlas.TestModels;

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

    /// <summary>
    /// Neovim before 0.12 shows no ghost text, so it asks for the completion-menu item (the suggestion's first line as
    /// label, the whole of it as the edit). Typed into the sample repository as the other editor tests type
    /// (<see cref="MemberAccessScenario"/>), the item's edit must name the member declared in the other file.
    /// </summary>
    [Fact]
    public async Task A_real_headless_neovim_typing_a_member_access_gets_a_member_declared_in_another_file()
    {
        var nvim = new[] { "/usr/bin/nvim", "/usr/local/bin/nvim" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Neovim is not installed: CI installs it with `apt-get install -y neovim` (.ci/run).");
        var output = Path.Combine(Path.GetTempPath(), $"atlas-nvim-{Guid.NewGuid():N}.json");
        // The sample repository is Neovim's working directory, so the client names it as the workspace folder.
        var info = new ProcessStartInfo(nvim) { WorkingDirectory = MemberAccessScenario.Repository, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "--headless", "-n", "-i", "NONE", "-u", Path.Combine(Repository(), "tests", "editors", "neovim", "init.lua"), MemberAccessScenario.File })
            info.ArgumentList.Add(a);
        info.Environment["ATLAS_NVIM_OUT"] = output;
        info.Environment["ATLAS_LSP_DLL"] = Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll");
        info.Environment["ATLAS_MODEL"] = SharedModels.Find(SharedModels.CSharpTarget);
        info.Environment["ATLAS_AFTER_LINE"] = MemberAccessScenario.AfterLine.ToString(CultureInfo.InvariantCulture);
        info.Environment["ATLAS_TYPED"] = MemberAccessScenario.Typed;
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(File.Exists(output), $"Neovim wrote no result. Its stderr:\n{await process.StandardError.ReadToEndAsync()}");
        var result = JsonNode.Parse(File.ReadAllText(output))!;
        File.Delete(output);
        Assert.True(result["item"] is JsonObject, $"Neovim got no completion item: {result.ToJsonString()}");
        var item = result["item"]!;
        Assert.Equal("Atlas", (string)item["detail"]!);
        // What Neovim had when it asked, and the item's edit applied to it: it replaces the word before the cursor.
        var document = new TextDocument("file:///neovim", "csharp", 1, (string)result["buffer"]!);
        var cursor = document.OffsetAt(new TextPosition((int)result["position"]!["line"]!, (int)result["position"]!["character"]!));
        var start = document.OffsetAt(new TextPosition((int)item["textEdit"]!["range"]!["start"]!["line"]!, (int)item["textEdit"]!["range"]!["start"]!["character"]!));
        var newText = (string)item["textEdit"]!["newText"]!;
        var word = document.Text[start..cursor];
        Assert.StartsWith(word, newText);
        Assert.StartsWith((string)item["label"]!, newText);
        var problems = MemberAccessScenario.Check(document.Text, cursor, newText[word.Length..]);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
