using System.Text;
using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>
/// Roslyn warmed in the background from initialize, so the first "fix this" listing is not its first compilation:
/// the warm-up runs with no request asking for it, binds the repository once it is indexed, and holds up no request.
/// </summary>
public sealed class RoslynWarmUpTests
{
    private const string Broken = "class Calc\n{\n    int Twice(int value)\n    {\n        var result = value * 2\n        return result;\n    }\n}\n";

    private static readonly object ResolvingClient = new { textDocument = new { codeAction = new { resolveSupport = new { properties = new[] { "edit" } } } } };

    private static object Listing(string uri) => new
    {
        textDocument = new { uri },
        range = new { start = new { line = 4, character = 8 }, end = new { line = 4, character = 30 } },
        context = new { diagnostics = Array.Empty<object>() },
    };

    private static bool Finds(JsonObject answer, string code) =>
        answer["result"]?[0]?["diagnostics"]?.AsArray().Any(d => (string?)d!["code"] == code) == true;

    private static bool IsWarmLine(JsonObject message) =>
        (string?)message["method"] == "window/logMessage" && ((string?)message["params"]?["message"])?.StartsWith("Roslyn warm in", StringComparison.Ordinal) == true;

    [Fact]
    public async Task Roslyn_warms_without_a_request_binds_the_indexed_repository_and_a_listing_after_it_works()
    {
        var repository = Samples.Repository("csharp");
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { }, ResolvingClient, repository);

        // No request sent: the warm-up starts on its own, and waits for the index to bind every C# file of it.
        var warm = (string)(await client.WaitForAsync(IsWarmLine, "the warm-up's log line"))["params"]!["message"]!;
        var files = Directory.GetFiles(repository, "*.cs", SearchOption.AllDirectories).Length;
        Assert.Contains($"the repository's {files} C# files declared", warm);

        var uri = new Uri(Path.Combine(repository, "Shop.App", "Calc.cs")).AbsoluteUri;
        await client.OpenAsync(uri, Broken);
        Assert.True(Finds(await client.RequestAsync("textDocument/codeAction", Listing(uri)), "CS1002"), client.Stderr);
    }

    [Fact]
    public async Task Requests_during_the_warm_up_are_answered_before_it_ends()
    {
        // A workspace that takes the warm-up a while to declare, after Roslyn's own cold start.
        var workspace = Directory.CreateTempSubdirectory("atlas-warm-").FullName;
        try
        {
            for (var file = 0; file < 20; file++) await File.WriteAllTextAsync(Path.Combine(workspace, $"Types{file}.cs"), Types(file, 400));
            await using var client = LspClient.Start();
            var initialize = client.Send("initialize", new
            {
                processId = Environment.ProcessId,
                capabilities = ResolvingClient,
                initializationOptions = new { atlas = new { } },
                workspaceFolders = new[] { new { uri = new Uri(workspace).AbsoluteUri, name = "warm" } },
            });
            await initialize.Answer.WaitAsync(LspClient.Patience);
            await client.NotifyAsync("initialized", new { });
            await client.OpenAsync("file:///work/f.py", "def f(x):\n    return x +\n", "python");
            var python = client.Send("textDocument/codeAction", new
            {
                textDocument = new { uri = "file:///work/f.py" },
                range = new { start = new { line = 1, character = 4 }, end = new { line = 1, character = 14 } },
                context = new { diagnostics = new[] { new { range = new { start = new { line = 1, character = 13 }, end = new { line = 1, character = 14 } }, message = "invalid syntax", source = "pyright" } } },
            });
            var csharpUri = new Uri(Path.Combine(workspace, "Calc.cs")).AbsoluteUri;
            await client.OpenAsync(csharpUri, Broken);
            var csharp = client.Send("textDocument/codeAction", Listing(csharpUri));

            // Answers that wait for nothing Roslyn does come before the warm-up is done: had it run on the request
            // dispatcher (in initialize, or before its first await), they would come after its log line.
            await python.Answer.WaitAsync(LspClient.Patience);
            await client.WaitForAsync(IsWarmLine, "the warm-up's log line");
            var order = client.Received.ToList();
            int Position(Func<JsonObject, bool> match) => order.FindIndex(m => match(m));
            bool Answers(JsonObject m, int id) => m["id"] is JsonValue v && v.TryGetValue<int>(out var got) && got == id && !m.ContainsKey("method");
            var warmAt = Position(IsWarmLine);
            Assert.InRange(Position(m => Answers(m, initialize.Id)), 0, warmAt - 1);
            Assert.InRange(Position(m => Answers(m, python.Id)), 0, warmAt - 1);
            Assert.Equal("Atlas: fix this (unverified)", (string)(await python.Answer)["result"]![0]!["title"]!);

            // A C# listing that comes while Roslyn warms needs what the warm-up is building: it is answered all the same.
            Assert.True(Finds(await csharp.Answer.WaitAsync(LspClient.Patience), "CS1002"), client.Stderr);
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task The_warm_up_can_be_turned_off_for_benchmarks()
    {
        await using var client = LspClient.Start(new Dictionary<string, string> { ["ATLAS_WARM_ROSLYN"] = "0" });
        await client.InitializeAsync(new { }, ResolvingClient);
        await client.WaitForAsync(_ => client.Stderr.Contains("Roslyn warm-up off"), "the warm-up's off line");
        await client.OpenAsync("file:///work/Calc.cs", Broken);
        Assert.True(Finds(await client.RequestAsync("textDocument/codeAction", Listing("file:///work/Calc.cs")), "CS1002"), client.Stderr);
        Assert.DoesNotContain("Roslyn warm in", client.Stderr);
    }

    /// <summary>A file of <paramref name="count"/> small classes that use one another.</summary>
    private static string Types(int file, int count)
    {
        var text = new StringBuilder($"namespace Warm.Part{file};\n\n");
        for (var i = 0; i < count; i++)
            text.Append($"public sealed class Type{i}\n{{\n    public int Value {{ get; set; }} = {i};\n    public Type{(i + 1) % count} Next() => new() {{ Value = Value + 1 }};\n}}\n\n");
        return text.ToString();
    }
}
