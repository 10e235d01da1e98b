namespace Atlas.Lsp.Tests;

/// <summary>
/// An explicit request (triggerKind Invoked) gets several different suggestions; typing (Automatic) gets one. The
/// documents are Java, as in <see cref="CompletionTests"/>: the tiny model writes random words, which C#'s syntax
/// guard would mostly drop.
/// </summary>
public sealed class CandidateTests
{
    private const string Uri = "file:///work/Demo.java";
    private const string Code = "class Demo\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";

    private static object Ask(int triggerKind) =>
        new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 }, context = new { triggerKind } };

    private static async Task<List<(string Text, int Start, int End)>> ItemsAsync(LspClient client, int triggerKind) =>
        [.. (await client.RequestAsync("textDocument/inlineCompletion", Ask(triggerKind)))["result"]!["items"]!.AsArray()
            .Select(i => ((string)i!["insertText"]!, (int)i["range"]!["start"]!["character"]!, (int)i["range"]!["end"]!["character"]!))];

    [Fact]
    public async Task An_invoked_request_gets_several_different_suggestions_the_first_the_one_typing_gets()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 12, candidates = 3 });
        await client.OpenAsync(Uri, Code, "java");

        var automatic = await ItemsAsync(client, triggerKind: 2);
        var invoked = await ItemsAsync(client, triggerKind: 1);

        var single = Assert.Single(automatic);
        Assert.InRange(invoked.Count, 2, 3);
        Assert.Equal(invoked.Count, invoked.Select(i => i.Text).Distinct().Count());
        Assert.All(invoked, i => Assert.Equal(15, i.Start));
        // Java has no compile check, and nothing here is cut by a syntax check: the model's own order stands.
        Assert.Equal(single, invoked[0]);
        await client.WaitForAsync(_ => client.Stderr.Contains("Demo.java:4:15: " + invoked.Count + " shown"), "a log line for the candidates");

        // Each candidate carries its own accept command, so the server learns which one the user took.
        var items = (await client.RequestAsync("textDocument/inlineCompletion", Ask(1)))["result"]!["items"]!.AsArray();
        var ids = items.Select(i => (string)i!["command"]!["arguments"]![0]!).ToList();
        Assert.Equal(items.Count, ids.Distinct().Count());
        await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new[] { ids[^1] } });
        var stats = (await client.RequestAsync("workspace/executeCommand", new { command = "atlas.stats" }))["result"]!;
        Assert.Equal(1 + 2 * invoked.Count, (int)stats["offered"]!);
        Assert.Equal(1, (int)stats["accepted"]!);
    }

    [Fact]
    public async Task One_candidate_in_the_settings_makes_an_invoked_request_an_ordinary_one()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 12, candidates = 1 });
        await client.OpenAsync(Uri, Code, "java");
        Assert.Single(await ItemsAsync(client, triggerKind: 1));
    }
}
