using System.Text.Json.Nodes;
using Atlas.Documents;
using Atlas.EditorScenario;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>
/// The trained C# model over the protocol, in the multi-file sample repository the real editors type into
/// (<see cref="MemberAccessScenario"/>): a member access on a type declared in another file is completed with a
/// member declared there, which the model only sees in the repository context the server builds.
/// </summary>
public sealed class RepositoryCompletionTests
{
    [Fact]
    public async Task Typing_a_member_access_on_a_type_from_another_file_gets_a_member_declared_there()
    {
        await using var client = LspClient.Start();
        // A time budget no busy machine reaches: cut short, the suggestion could stop inside the member's name.
        await client.InitializeAsync(new { model = SharedModels.Find(SharedModels.CSharpTarget), maxTokens = 32, timeBudgetMs = 60000 },
            workspaceFolder: MemberAccessScenario.Repository);
        // Typing before the server has the other files would get a suggestion made without them.
        await Logged(client, "Indexed ");
        await Logged(client, "Loaded ");
        var uri = new Uri(MemberAccessScenario.FilePath).AbsoluteUri;
        var document = new TextDocument(uri, "csharp", 1, File.ReadAllText(MemberAccessScenario.FilePath));
        await client.OpenAsync(uri, document.Text);

        // As an editor types: Enter (the new line indented at once), then one character at a time, asking for ghost
        // text after each. The server answers from its cache while the typing follows an earlier suggestion, so the
        // last answer may come from any keystroke's generation: all of them are what the user would see.
        var line = MemberAccessScenario.AfterLine;
        var keystrokes = new[] { "\n        " }.Concat(MemberAccessScenario.Typed.Select(c => c.ToString()));
        var position = new TextPosition(line, document.LineLength(line));
        JsonObject? answer = null;
        foreach (var keystroke in keystrokes)
        {
            document = document.WithChange(new TextRange(position, position), keystroke, document.Version + 1);
            await client.NotifyAsync("textDocument/didChange", new
            {
                textDocument = new { uri, version = document.Version },
                contentChanges = new object[] { new { range = new { start = Lsp(position), end = Lsp(position) }, text = keystroke } },
            });
            position = document.PositionAt(document.OffsetAt(position) + keystroke.Length);
            answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri }, position = Lsp(position), context = new { triggerKind = 2 } });
        }

        var item = Assert.Single(answer!["result"]!["items"]!.AsArray())!;
        var suggestion = (string)item["insertText"]!;
        Assert.Equal(position.Line, (int)item["range"]!["start"]!["line"]!);
        Assert.Equal(position.Character, (int)item["range"]!["start"]!["character"]!);
        var problems = MemberAccessScenario.Check(document.Text, document.OffsetAt(position), suggestion);
        Assert.True(problems.Count == 0, $"{string.Join("\n", problems)}\nServer log:\n{client.Stderr}");
    }

    private static Task Logged(LspClient client, string start) =>
        client.WaitForAsync(n => ((string?)n["params"]?["message"])?.StartsWith(start, StringComparison.Ordinal) == true, $"the log line \"{start}…\"");

    private static object Lsp(TextPosition position) => new { line = position.Line, character = position.Character };
}
