using Atlas.Completion;
using Atlas.Completion.Filters;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>
/// The multi-line filters over the protocol, with the trained model: two servers, one with the filters off and one
/// with the defaults, asked at the same places of the same document. Greedy decoding makes the model write the same
/// text for both, so the filtered answer must be the unfiltered one with the filters applied, and at some of these
/// places (a blank line at the end of a method body, where the model goes on to the next member) they must cut.
/// The document is Java, so no syntax guard stands between the cleaner and the answer.
/// </summary>
public sealed class MultiLineFilterLspTests
{
    private const string Uri = "file:///work/Ledger.java";
    // The blank lines in the method bodies hold the body's indentation, as an editor leaves them after Enter.
    private const string Code =
        "class Ledger\n{\n    private int total;\n\n" +
        "    public void add(int amount)\n    {\n        total += amount;\n        \n    }\n\n" +
        "    public int total()\n    {\n        int sum = 0;\n        \n    }\n}\n";

    private static readonly (int Line, int Character)[] Places = [(7, 8), (13, 8), (7, 0)];

    private static async Task<List<string?>> AnswersAsync(string filters)
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = SharedModels.Find(SharedModels.CSharpTarget), maxTokens = 64, timeBudgetMs = 60000, completionMode = "multi", multiLineFilters = filters });
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.StartsWith("Loaded ") == true, "the model loaded");
        await client.OpenAsync(Uri, Code, "java");
        var answers = new List<string?>();
        foreach (var (line, character) in Places)
        {
            var reply = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line, character }, context = new { triggerKind = 2 } });
            var items = reply["result"]?["items"]?.AsArray() ?? throw new InvalidOperationException($"no items: {reply.ToJsonString()}");
            answers.Add(items.Count == 0 ? null : (string)items[0]!["insertText"]!);
        }
        if (filters != "none")
            await client.WaitForAsync(_ => System.Text.RegularExpressions.Regex.IsMatch(client.Stderr, @"Ledger\.java:\d+:\d+: \d+ chars from the model \(the cleaner (cut|dropped)"), "a log line naming the cleaner's cut");
        return answers;
    }

    [Fact]
    public async Task The_default_filters_cut_the_answers_the_model_writes_past_their_scope()
    {
        var unfiltered = await AnswersAsync("none");
        var filtered = await AnswersAsync("default");

        var document = new Atlas.Documents.TextDocument(Uri, "java", 1, Code);
        var changed = 0;
        for (var i = 0; i < Places.Length; i++)
        {
            var offset = document.OffsetAt(new(Places[i].Line, Places[i].Character));
            var around = CursorSurroundings.Around(Code[..offset], Code[offset..]);
            var expected = unfiltered[i] is null ? null : SuggestionCleaner.Clean(unfiltered[i]!, around, MultiLineFilterSet.Default).Text;
            Assert.Equal(expected, filtered[i]);
            if (filtered[i] != unfiltered[i]) changed++;
        }
        // The model must have run past the method at one place at least, or this test proves nothing.
        Assert.True(changed > 0, $"the filters changed none of the answers: {string.Join(" | ", unfiltered)}");
    }
}
