using System.Text.Json.Nodes;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>
/// Inline completions and completion-menu items from the real tiny model, over the protocol. The documents are Java:
/// the tiny model's words are random, and for C# Roslyn's syntax guard would (rightly) drop most of them.
/// </summary>
public sealed partial class CompletionTests
{
    private const string Uri = "file:///work/Demo.java";
    private const string Language = "java";
    private const string Code = "class Demo\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";

    /// <summary>
    /// Waits until the model is loaded, so a request goes straight to generation (a warm-up request of 4,000 tokens,
    /// as the cancellation tests configure, would cost tens of seconds on a busy machine).
    /// </summary>
    private static Task ModelLoaded(LspClient client) =>
        client.WaitForAsync(n => ((string?)n["params"]?["message"])?.StartsWith("Loaded ") == true, "the model loaded");

    private static object At(int line, int character) => new { textDocument = new { uri = Uri }, position = new { line, character } };

    [Fact]
    public async Task Inline_completion_returns_the_models_suggestion_at_the_cursor()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code, Language);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 }, context = new { triggerKind = 2 } });

        var items = answer["result"]!["items"]!.AsArray();
        var item = Assert.Single(items)!;
        Assert.False(string.IsNullOrWhiteSpace((string)item["insertText"]!));
        Assert.Equal(4, (int)item["range"]!["start"]!["line"]!);
        Assert.Equal(15, (int)item["range"]!["start"]!["character"]!);
    }

    [Fact]
    public async Task Inline_csharp_suggestions_are_cut_to_what_adds_no_syntax_error()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 24, completionMode = "multi" });
        // The same text as Java and as C# makes the same prompt, so the model writes the same suggestion: Java shows it
        // as written, C# only the part Roslyn's syntax guard lets through.
        const string csharp = "file:///work/Guarded.cs";
        await client.OpenAsync(csharp, Code, "csharp");
        await client.OpenAsync(Uri, Code, Language);
        var document = new Atlas.Documents.TextDocument(csharp, "csharp", 1, Code);

        var guarded = 0;
        foreach (var (line, character) in new[] { (4, 15), (4, 8), (2, 24), (3, 5), (5, 5), (6, 1) })
        {
            var position = new { line, character };
            var java = (await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position }))["result"]!["items"]!.AsArray();
            var cs = (await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = csharp }, position }))["result"]!["items"]!.AsArray();
            var written = java.Count == 0 ? null : (string)java[0]!["insertText"]!;
            var shown = cs.Count == 0 ? null : (string)cs[0]!["insertText"]!;
            var replaced = java.Count == 0 ? 0 : (int)java[0]!["range"]!["end"]!["character"]! - character;

            var offset = document.OffsetAt(new(line, character));
            var expected = written is null ? null : Atlas.Fixes.Verification.CompletionSyntaxGuard.Clean(
                Atlas.Fixes.Verification.CompletionSyntaxGuard.Parse(Code), offset, replaced, written);
            Assert.Equal(expected, shown);
            if (shown != written) guarded++;
        }
        // The tiny model writes random words: some of them must have broken the C# file, or this test proves nothing.
        Assert.True(guarded > 0, "the syntax guard changed none of the suggestions");
        // And the log's one line per answer says which stage changed it and why.
        await client.WaitForAsync(_ => System.Text.RegularExpressions.Regex.IsMatch(client.Stderr, @"Guarded\.cs:\d+:\d+: \d+ chars from the model \(the syntax check (dropped|cut)"), "a log line naming the syntax check");
    }

    [Fact]
    public async Task Completion_menu_gets_one_item_labelled_with_the_first_line_and_marked_incomplete()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code.Replace("return \n", "return val\n"), Language);
        var answer = await client.RequestAsync("textDocument/completion", At(4, 18));

        var list = answer["result"]!;
        Assert.True((bool)list["isIncomplete"]!);
        var item = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal("Atlas", (string)item["detail"]!);
        Assert.Equal("0000", (string)item["sortText"]!);
        var label = (string)item["label"]!;
        var newText = (string)item["textEdit"]!["newText"]!;
        // The edit replaces the word being typed, so the menu's filter on "val" keeps the item.
        Assert.StartsWith("val", label);
        Assert.StartsWith(label, newText);
        Assert.Equal(15, (int)item["textEdit"]!["range"]!["start"]!["character"]!);
        Assert.DoesNotContain('\n', label);
    }

    [Fact]
    public async Task Positions_count_utf16_code_units_through_incremental_edits()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        // "😀" is two UTF-16 code units, "日本" two more, "." one: "abc" starts at character 5.
        await client.OpenAsync(Uri, "var s = 1;\n😀日本.abc\n", Language);
        await client.NotifyAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri, version = 2 },
            contentChanges = new object[] { new { range = new { start = new { line = 1, character = 5 }, end = new { line = 1, character = 5 } }, text = "xyz" } },
        });
        var answer = await client.RequestAsync("textDocument/completion", At(1, 11));

        var item = Assert.Single(answer["result"]!["items"]!.AsArray())!;
        Assert.StartsWith("xyzabc", (string)item["label"]!);
        Assert.Equal(5, (int)item["textEdit"]!["range"]!["start"]!["character"]!);

        var outside = await client.RequestAsync("textDocument/completion", At(1, 12));
        Assert.Equal(-32602, (int)outside["error"]!["code"]!);
    }

    [Fact]
    public async Task A_full_text_change_replaces_the_document()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, "short\n", Language);
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Uri, version = 2 }, contentChanges = new object[] { new { text = "first line\nsecond line here\n" } } });
        var answer = await client.RequestAsync("textDocument/completion", At(1, 16));
        Assert.StartsWith("here", (string)answer["result"]!["items"]![0]!["label"]!);
    }

    [Fact]
    public async Task Typing_what_was_suggested_is_answered_from_the_cache()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code, Language);
        var first = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        var suggestion = (string)first["result"]!["items"]![0]!["insertText"]!;
        var typed = suggestion[..2];

        await client.NotifyAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri, version = 2 },
            contentChanges = new object[] { new { range = new { start = new { line = 4, character = 15 }, end = new { line = 4, character = 15 } }, text = typed } },
        });
        var second = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15 + typed.Length));

        Assert.Equal(suggestion[2..].Split('\n')[0].TrimEnd(), ((string)second["result"]!["items"]![0]!["insertText"]!).Split('\n')[0]);
        await client.WaitForAsync(_ => client.Stderr.Contains(" cache "), "log line saying the cache answered");
    }

    [Fact]
    public async Task Cancel_request_answers_request_cancelled_and_the_next_request_works()
    {
        await using var client = LspClient.Start();
        await CancelAtOnceAnswersRequestCancelled(client);

        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { model = LspClient.TinyModel, maxTokens = 8 } } });
        var next = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.True(next.ContainsKey("result"));
    }

    /// <summary>
    /// A 2-core machine's thread pool starts with two threads. Reading the editor's pipe and running a generation must
    /// not hold both: the cancel would then wait for the pool to grow, and a short generation finished first (the
    /// cancellation test above failed that way on CI now and then). Capping the pool at two makes that deterministic.
    /// </summary>
    [Fact]
    public async Task A_cancel_reaches_a_running_generation_even_when_the_thread_pool_has_only_two_threads()
    {
        await using var client = LspClient.Start(new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMaxWorkerThreads"] = "2" });
        await CancelAtOnceAnswersRequestCancelled(client);
    }

    /// <summary>A long generation, its cancel sent at once: answered RequestCancelled whether queued or generating, never finished.</summary>
    private static async Task CancelAtOnceAnswersRequestCancelled(LspClient client)
    {
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 4000, timeBudgetMs = 120000, completionMode = "multi" });
        await client.OpenAsync(Uri, Code, Language);
        await ModelLoaded(client);

        var (id, answer) = client.Send("textDocument/inlineCompletion", At(4, 14));
        await client.NotifyAsync("$/cancelRequest", new { id });
        var cancelled = await answer;
        Assert.True(cancelled["error"] is JsonObject, $"The cancelled request was answered {cancelled.ToJsonString()}. Stderr:\n{client.Stderr}");
        Assert.Equal(-32800, (int)cancelled["error"]!["code"]!);
    }

    [Fact]
    public async Task In_a_cancellation_storm_every_request_gets_one_answer_a_result_or_request_cancelled()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 64 });
        await client.OpenAsync(Uri, Code, Language);
        await ModelLoaded(client);

        var answers = new List<Task<JsonObject>>();
        for (var i = 0; i < 200; i++)
        {
            var (id, answer) = client.Send(i % 3 == 0 ? "textDocument/completion" : "textDocument/inlineCompletion", At(4, 15));
            answers.Add(answer);
            if (i % 4 != 3) await client.NotifyAsync("$/cancelRequest", new { id });
        }
        var all = await Task.WhenAll(answers);
        Assert.All(all, a => Assert.True(a["result"] is JsonObject || (int?)a["error"]?["code"] == -32800, a.ToJsonString()));
        Assert.Contains(all, a => (int?)a["error"]?["code"] == -32800);
        Assert.True((await client.RequestAsync("textDocument/inlineCompletion", At(4, 15)))["result"] is JsonObject);
        // Exactly one answer each: nothing left over that matched no request.
        Assert.DoesNotContain(client.Unmatched, m => m["method"] is null);
    }

    [Fact]
    public async Task A_newer_request_for_the_document_supersedes_the_older_one()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 4000, timeBudgetMs = 120000, completionMode = "multi" });
        await client.OpenAsync(Uri, Code, Language);
        await ModelLoaded(client);

        // Requests are handled in order up to their first wait, so the older one is running when the newer arrives.
        var (_, older) = client.Send("textDocument/inlineCompletion", At(4, 14));
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { model = LspClient.TinyModel, maxTokens = 4 } } });
        var newer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));

        Assert.Empty((await older)["result"]!["items"]!.AsArray());
        Assert.Single(newer["result"]!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_configuration_change_reloads_the_model_without_a_restart()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.Contains("Loaded LLaMA v2") == true, "first model loaded");
        var synthetic = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Fim = FimTokens.Qwen });

        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { model = synthetic, maxTokens = 8 } } });
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.Contains("Loaded atlas-synthetic: FIM Qwen") == true, "second model loaded");
        await client.OpenAsync(Uri, Code, Language);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.True(answer.ContainsKey("result"));
    }

    [Fact]
    public async Task Loading_reports_progress_to_clients_that_show_it()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(capabilities: new { window = new { workDoneProgress = true } });
        await client.WaitForAsync(n => (string?)n["method"] == "$/progress" && (string?)n["params"]?["value"]?["kind"] == "end", "progress end");

        // In the order the protocol requires: the token is created before it is used, then begin, reports, end.
        var steps = client.Notifications
            .Where(n => (string?)n["method"] is "window/workDoneProgress/create" or "$/progress")
            .Select(n => (string?)n["params"]?["value"]?["kind"] ?? "create")
            .ToList();
        Assert.Equal(["create", "begin"], steps[..2]);
        Assert.Equal("end", steps[^1]);
        Assert.All(steps[2..^1], step => Assert.Equal("report", step));
    }

    [Fact]
    public async Task The_status_names_the_model_once_it_is_loaded_before_any_completion()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        var status = await client.WaitForAsync(n => (string?)n["method"] == "atlas/status", "atlas/status");
        Assert.Equal("LLaMA v2", (string?)status["params"]!["model"]);
        Assert.False((bool)status["params"]!["loading"]!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Without_a_model_the_user_is_told_once_what_to_set_and_the_status_says_so(string? model)
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(model is null ? new { maxTokens = 8 } : new { model, maxTokens = 8 });
        var message = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage", "showMessage");
        var text = (string)message["params"]!["message"]!;
        Assert.Contains("atlas.model", text);
        Assert.Contains("models list", text);
        Assert.Contains("models pull", text);
        var status = await client.WaitForAsync(n => (string?)n["method"] == "atlas/status" && n["params"]?["problem"] is not null, "a status with the problem");
        Assert.Contains("atlas.model", (string)status["params"]!["problem"]!);

        // Once: another settings change without a model says nothing more.
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { maxTokens = 9 } } });
        await client.OpenAsync(Uri, Code, Language);
        Assert.Empty((await client.RequestAsync("textDocument/inlineCompletion", At(4, 15)))["result"]!["items"]!.AsArray());
        Assert.Single(client.Notifications, n => (string?)n["method"] == "window/showMessage");
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(1_000_000_000)]
    public async Task A_max_tokens_the_context_cannot_hold_is_cut_to_half_the_context_with_a_warning_and_completions_work(int maxTokens)
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens, timeBudgetMs = 300 });
        var warning = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage" && ((string?)n["params"]?["message"])?.Contains("atlas.maxTokens") == true, "the maxTokens warning");
        Assert.Contains("using 2048", (string)warning["params"]!["message"]!);
        await client.OpenAsync(Uri, Code, Language);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.True(answer["result"] is JsonObject, answer.ToJsonString());
    }

    [Fact]
    public async Task A_missing_model_is_shown_to_the_user_and_completions_answer_empty()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = "/nowhere/model.gguf" });
        var message = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage", "showMessage");
        Assert.Equal(1, (int)message["params"]!["type"]!);
        Assert.Contains("/nowhere/model.gguf", (string)message["params"]!["message"]!);
        Assert.Contains("atlas.model", (string)message["params"]!["message"]!);

        await client.OpenAsync(Uri, Code, Language);
        for (var i = 0; i < 3; i++)
        {
            var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
            Assert.Empty(answer["result"]!["items"]!.AsArray());
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.005)]
    [InlineData(0.0)]
    public async Task Completions_carry_repository_context_from_the_indexed_workspace_within_its_share(double? contextShare)
    {
        var repository = Samples.Repository("csharp");
        var file = Path.Combine(repository, "Shop.App", "CheckoutService.cs");

        await using var client = LspClient.Start();
        await client.InitializeAsync(contextShare is { } share ? new { model = LspClient.TinyModel, maxTokens = 16, contextShare = share } : null, workspaceFolder: repository);
        await client.WaitForAsync(_ => client.Stderr.Contains("Indexed "), "the workspace index");
        var uri = new Uri(file).AbsoluteUri;
        await client.OpenAsync(uri, await File.ReadAllTextAsync(file));
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri }, position = new { line = 12, character = 29 } });

        Assert.True(answer.ContainsKey("result"));
        await client.WaitForAsync(_ => ContextLine().IsMatch(client.Stderr), "the prompt's repository context in the log");
        var match = ContextLine().Match(client.Stderr);
        var (sections, tokens) = (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
        if (contextShare is null)
        {
            Assert.True(sections > 0, "the default share has room for the declarations CheckoutService uses");
        }
        else
        {
            // The tiny model's context is 4,096 tokens; less 16 for the answer, a 0.5% share is 20 tokens; 0 is none.
            Assert.InRange(tokens, 0, (int)((4096 - 16) * contextShare.Value));
            if (contextShare == 0) Assert.Equal(0, sections);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Context for \S+CheckoutService.cs:12: (\d+) sections, (\d+) tokens")]
    private static partial System.Text.RegularExpressions.Regex ContextLine();

    [Fact]
    public async Task The_command_lines_model_serves_an_editor_that_configures_none()
    {
        await using var client = LspClient.Start("--model", LspClient.TinyModel);
        await client.InitializeAsync(new { maxTokens = 8 });
        await client.OpenAsync(Uri, Code, Language);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.Single(answer["result"]!["items"]!.AsArray());
    }

    [Fact]
    public async Task Clients_that_watch_files_are_asked_to_watch_the_workspace()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(capabilities: new { workspace = new { didChangeWatchedFiles = new { dynamicRegistration = true } } }, workspaceFolder: Samples.Repository("python"));
        var registration = await client.WaitForAsync(n => (string?)n["method"] == "client/registerCapability", "a file-watch registration");
        var entry = registration["params"]!["registrations"]![0]!;
        Assert.Equal("workspace/didChangeWatchedFiles", (string)entry["method"]!);
        Assert.Equal("**/*", (string)entry["registerOptions"]!["watchers"]![0]!["globPattern"]!);
    }

    [Fact]
    public async Task With_a_draft_model_configured_the_server_decodes_speculatively()
    {
        var target = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 11 });
        var draft = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 11, NoiseSeed = 99, NoiseScale = 0.05f });
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = target, draftModel = draft, draftPMin = 0.0, maxTokens = 24, completionMode = "multi" });
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.Contains(", draft atlas-synthetic") == true, "target and draft loaded");
        await client.OpenAsync(Uri, Code, Language);
        await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        await client.WaitForAsync(_ => client.Stderr.Contains(" drafted "), "a completion that drafted");
    }
}
