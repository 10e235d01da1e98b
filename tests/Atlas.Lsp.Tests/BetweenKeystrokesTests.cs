using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>
/// What the server does between keystrokes, over the protocol: it learns which suggestions were shown and taken
/// (Copilot's notifications and the item's command), waits for the next keystroke before running the model, makes the
/// suggestion after a shown one ahead of its request, and tells the user when completions are slow.
/// </summary>
public sealed class BetweenKeystrokesTests
{
    private const string Uri = "file:///work/Demo.java";
    private const string Code = "class Demo\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";

    private static object At(int line, int character, int triggerKind = 2) =>
        new { textDocument = new { uri = Uri }, position = new { line, character }, context = new { triggerKind } };

    private static async Task<JsonObject> Stats(LspClient client) =>
        (JsonObject)(await client.RequestAsync("workspace/executeCommand", new { command = "atlas.stats" }))["result"]!;

    private static async Task<LspClient> StartAsync(object settings)
    {
        var client = LspClient.Start();
        var initialized = await client.InitializeAsync(settings);
        var commands = initialized["result"]!["capabilities"]!["executeCommandProvider"]!["commands"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.Equal(["atlas.accepted", "atlas.stats"], commands);
        await client.OpenAsync(Uri, Code, "java");
        return client;
    }

    [Fact]
    public async Task Shown_partly_accepted_and_accepted_suggestions_are_counted_once_each_by_language_and_kind()
    {
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 16, debounce = 0, precomputeNext = false, completionMode = "single" });
        var first = (JsonObject)(await client.RequestAsync("textDocument/inlineCompletion", At(4, 15)))["result"]!["items"]![0]!;
        var second = (JsonObject)(await client.RequestAsync("textDocument/inlineCompletion", At(2, 24)))["result"]!["items"]![0]!;
        // Each item carries the command the client runs when the user takes it, with the suggestion's id.
        Assert.Equal("atlas.accepted", (string)first["command"]!["command"]!);
        var firstId = (string)first["command"]!["arguments"]![0]!;
        Assert.NotEqual(firstId, (string)second["command"]!["arguments"]![0]!);

        // Clients repeat themselves: a show reported twice counts once.
        await client.NotifyAsync("textDocument/didShowCompletion", new { item = first });
        await client.NotifyAsync("textDocument/didShowCompletion", new { item = first });
        await client.NotifyAsync("textDocument/didShowCompletion", new { item = second });
        await client.NotifyAsync("textDocument/didPartiallyAcceptCompletion", new { item = second, acceptedLength = 1 });
        var accepted = await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new[] { firstId } });
        Assert.Null(accepted["error"]);
        await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new[] { firstId } });

        var stats = await Stats(client);
        var firstLength = ((string)first["insertText"]!).Length;
        Assert.Equal((2, 2, 1, 1), ((int)stats["offered"]!, (int)stats["shown"]!, (int)stats["accepted"]!, (int)stats["partiallyAccepted"]!));
        Assert.Equal(firstLength + 1, (int)stats["acceptedChars"]!);
        Assert.Equal(1.0, (double)stats["acceptRate"]!);
        Assert.Equal(2, (int)stats["byLanguage"]!["java"]!["shown"]!);
        Assert.Equal(2, (int)stats["singleLine"]!["accepted"]! + (int)stats["singleLine"]!["partiallyAccepted"]!);
        Assert.Equal(0, (int)stats["multiLine"]!["offered"]!);
        // The status display gets the same figures after an accept.
        await client.WaitForAsync(n => (string?)n["method"] == "atlas/status" && (int?)n["params"]?["stats"]?["accepted"] == 1, "a status with the accept");
    }

    [Fact]
    public async Task Reports_of_unknown_shape_are_refused_or_ignored_and_the_server_keeps_serving()
    {
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 8, debounce = 0 });
        await client.NotifyAsync("textDocument/didShowCompletion", new { item = "not an item" });
        await client.NotifyAsync("textDocument/didShowCompletion", new { item = new { insertText = "x", command = new { command = "atlas.accepted", arguments = new[] { "atlas-999" } } } });
        await client.NotifyAsync("textDocument/didPartiallyAcceptCompletion", new { item = new { }, acceptedLength = -4 });
        var unknownCommand = await client.RequestAsync("workspace/executeCommand", new { command = "atlas.launch" });
        Assert.Equal(-32602, (int)unknownCommand["error"]!["code"]!);
        Assert.Contains("atlas.accepted and atlas.stats", (string)unknownCommand["error"]!["message"]!);
        var noId = await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new object[] { 42 } });
        Assert.Equal(-32602, (int)noId["error"]!["code"]!);
        var forgotten = await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new[] { "atlas-999" } });
        Assert.Null(forgotten["error"]);

        Assert.Equal(0, (int)(await Stats(client))["accepted"]!);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.NotNull(answer["result"]);
    }

    [Fact]
    public async Task Keystrokes_within_the_debounce_never_reach_the_model_and_only_the_last_is_answered()
    {
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 8, debounce = 400, precomputeNext = false });
        await client.RequestAsync("textDocument/inlineCompletion", At(2, 24, triggerKind: 1)); // the model loaded and warm (elsewhere: not a cached answer)
        var before = await Stats(client);

        // Three keystrokes' requests in a row, as an editor sends them while the user types: the first two are superseded
        // while they wait, and answer empty without a model run.
        var requests = new[] { client.Send("textDocument/inlineCompletion", At(4, 13)), client.Send("textDocument/inlineCompletion", At(4, 14)), client.Send("textDocument/inlineCompletion", At(4, 15)) };
        var answers = await Task.WhenAll(requests.Select(r => r.Answer.WaitAsync(LspClient.Patience)));
        Assert.Empty(answers[0]["result"]!["items"]!.AsArray());
        Assert.Empty(answers[1]["result"]!["items"]!.AsArray());
        Assert.NotEmpty(answers[2]["result"]!["items"]!.AsArray());

        var after = await Stats(client);
        Assert.Equal(2, (int)after["debounced"]! - (int)before["debounced"]!);
        Assert.Equal(1, (int)after["modelRuns"]! - (int)before["modelRuns"]!);
        await client.WaitForAsync(_ => System.Text.RegularExpressions.Regex.IsMatch(client.Stderr, @"Demo\.java:4:15: \d+ chars from the model.*waited \d+ ms for keystrokes"), "the answer's log line with its wait");
    }

    [Fact]
    public async Task A_request_the_user_made_does_not_wait_for_keystrokes()
    {
        // A debounce of five seconds: an explicit request that waited would show it in its log line.
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 8, debounce = 5000, precomputeNext = false, candidates = 1 });
        var invoked = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15, triggerKind: 1));
        Assert.NotEmpty(invoked["result"]!["items"]!.AsArray());
        // The log reaches stderr on its own pipe, possibly after the answer.
        await client.WaitForAsync(_ => System.Text.RegularExpressions.Regex.IsMatch(client.Stderr, @"Demo\.java:4:15: \d+ chars from the model"), "the answer's log line");
        Assert.DoesNotMatch(@"Demo\.java:4:15: .*waited", client.Stderr);
        Assert.Equal(0, (int)(await Stats(client))["debounced"]!);
    }

    [Fact]
    public async Task The_suggestion_after_a_shown_one_is_made_ahead_and_answers_the_request_after_the_accept_from_the_cache()
    {
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 8, debounce = 0, completionMode = "single" });
        var item = (JsonObject)(await client.RequestAsync("textDocument/inlineCompletion", At(4, 15)))["result"]!["items"]![0]!;
        var text = (string)item["insertText"]!;
        Assert.DoesNotContain('\n', text);
        // A client that says what it shows: the suggestion after this one is made once it is shown.
        await client.NotifyAsync("textDocument/didShowCompletion", new { item });
        await client.WaitForAsync(_ => client.Stderr.Contains("Made ahead for " + Uri), "the next suggestion made ahead");
        Assert.DoesNotMatch(@"Made ahead for \S+: 0 chars", client.Stderr);

        // The user accepts it: the editor inserts it and asks at the cursor after it.
        await client.RequestAsync("workspace/executeCommand", new { command = "atlas.accepted", arguments = new[] { (string)item["command"]!["arguments"]![0]! } });
        await client.NotifyAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri, version = 2 },
            contentChanges = new[] { new { range = new { start = new { line = 4, character = 15 }, end = new { line = 4, character = 15 } }, text } },
        });
        var next = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15 + text.Length));
        Assert.NotEmpty(next["result"]!["items"]!.AsArray());
        // The log reaches stderr on its own pipe, possibly after the answer.
        await client.WaitForAsync(_ => client.Stderr.Contains($"Completion {Uri}:4:{15 + text.Length}: {((string)next["result"]!["items"]![0]!["insertText"]!).Length} chars from the cache (made ahead)"),
            "the answer's log line saying it came from what was made ahead");
        var stats = await Stats(client);
        Assert.Equal(1, (int)stats["madeAheadUsed"]!);
    }

    [Fact]
    public async Task When_completions_are_slow_the_user_is_told_once_with_the_figures_and_what_would_help()
    {
        // Every request is slower than a millisecond: ten of them make a slow spell.
        await using var client = await StartAsync(new { model = LspClient.TinyModel, maxTokens = 4, debounce = 0, precomputeNext = false, slowLatencyMs = 1 });
        for (var i = 0; i < 14; i++)
            await client.RequestAsync("textDocument/inlineCompletion", At(i % 2 == 0 ? 4 : 2, i % 2 == 0 ? 15 - i / 2 : 24 - i / 2));
        var told = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage" && ((string?)n["params"]?["message"])?.Contains("completions are slow here") == true, "the slow warning");
        var message = (string)told["params"]!["message"]!;
        Assert.Matches(@"the last \d+ took [\d,]+ ms \(median", message);
        Assert.Contains("a draft model", message);
        Assert.Contains("atlas-lsp models list", message);
        Assert.Single(client.Notifications, n => ((string?)n["params"]?["message"])?.Contains("completions are slow here") == true && (string?)n["method"] == "window/showMessage");
        await client.WaitForAsync(n => (string?)n["method"] == "atlas/status" && ((string?)n["params"]?["slow"])?.Contains("slow here") == true, "a status with the warning");
        Assert.True((int)(await Stats(client))["latency"]!["requests"]! >= 10);
    }
}
