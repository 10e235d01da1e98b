using System.Text.Json.Nodes;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>Inline completions and completion-menu items from the real tiny model, over the protocol.</summary>
public sealed class CompletionTests
{
    private const string Uri = "file:///work/demo.cs";
    private const string Code = "class Demo\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";

    private static object At(int line, int character) => new { textDocument = new { uri = Uri }, position = new { line, character } };

    [Fact]
    public async Task Inline_completion_returns_the_models_suggestion_at_the_cursor()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 }, context = new { triggerKind = 2 } });

        var items = answer["result"]!["items"]!.AsArray();
        var item = Assert.Single(items)!;
        Assert.False(string.IsNullOrWhiteSpace((string)item["insertText"]!));
        Assert.Equal(4, (int)item["range"]!["start"]!["line"]!);
        Assert.Equal(15, (int)item["range"]!["start"]!["character"]!);
    }

    [Fact]
    public async Task Completion_menu_gets_one_item_labelled_with_the_first_line_and_marked_incomplete()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code.Replace("return \n", "return val\n"));
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
        await client.OpenAsync(Uri, "var s = 1;\n😀日本.abc\n");
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
        await client.OpenAsync(Uri, "short\n");
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Uri, version = 2 }, contentChanges = new object[] { new { text = "first line\nsecond line here\n" } } });
        var answer = await client.RequestAsync("textDocument/completion", At(1, 16));
        Assert.StartsWith("here", (string)answer["result"]!["items"]![0]!["label"]!);
    }

    [Fact]
    public async Task Typing_what_was_suggested_is_answered_from_the_cache()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, Code);
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
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 4000, timeBudgetMs = 120000, completionMode = "multi" });
        await client.OpenAsync(Uri, Code);
        await client.RequestAsync("textDocument/inlineCompletion", At(4, 15)); // the model is loaded and warm

        // The cancel follows at once: the request is then cancelled whether it is queued or generating, never finished.
        var (id, answer) = client.Send("textDocument/inlineCompletion", At(4, 14));
        await client.NotifyAsync("$/cancelRequest", new { id });
        var cancelled = await answer;
        Assert.Equal(-32800, (int)cancelled["error"]!["code"]!);

        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { model = LspClient.TinyModel, maxTokens = 8 } } });
        var next = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.True(next.ContainsKey("result"));
    }

    [Fact]
    public async Task A_newer_request_for_the_document_supersedes_the_older_one()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 4000, timeBudgetMs = 120000, completionMode = "multi" });
        await client.OpenAsync(Uri, Code);
        await client.RequestAsync("textDocument/completion", At(4, 15));

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
        await client.OpenAsync(Uri, Code);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        Assert.True(answer.ContainsKey("result"));
    }

    [Fact]
    public async Task Loading_reports_progress_to_clients_that_show_it()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(capabilities: new { window = new { workDoneProgress = true } });
        await client.WaitForAsync(n => (string?)n["method"] == "window/workDoneProgress/create", "progress token");
        await client.WaitForAsync(n => (string?)n["method"] == "$/progress" && (string?)n["params"]?["value"]?["kind"] == "end", "progress end");
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

    [Fact]
    public async Task A_missing_model_is_shown_to_the_user_and_completions_answer_empty()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = "/nowhere/model.gguf" });
        var message = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage", "showMessage");
        Assert.Equal(1, (int)message["params"]!["type"]!);
        Assert.Contains("/nowhere/model.gguf", (string)message["params"]!["message"]!);
        Assert.Contains("atlas.model", (string)message["params"]!["message"]!);

        await client.OpenAsync(Uri, Code);
        for (var i = 0; i < 3; i++)
        {
            var answer = await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
            Assert.Empty(answer["result"]!["items"]!.AsArray());
        }
    }

    [Fact]
    public async Task Completions_carry_repository_context_from_the_indexed_workspace()
    {
        var samples = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(samples, "tests", "Samples", "context"))) samples = Path.GetDirectoryName(samples)!;
        var repository = Path.Combine(samples, "tests", "Samples", "context", "csharp");
        var file = Path.Combine(repository, "Shop.App", "CheckoutService.cs");

        await using var client = LspClient.Start();
        await client.InitializeAsync(workspaceFolder: repository);
        await client.WaitForAsync(_ => client.Stderr.Contains("Indexed "), "the workspace index");
        var uri = new Uri(file).AbsoluteUri;
        await client.OpenAsync(uri, await File.ReadAllTextAsync(file));
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri }, position = new { line = 12, character = 29 } });

        Assert.True(answer.ContainsKey("result"));
        await client.WaitForAsync(_ => System.Text.RegularExpressions.Regex.IsMatch(client.Stderr, @"Context for \S+CheckoutService.cs:12: [1-9]\d* sections"), "a prompt with repository context");
    }

    [Fact]
    public async Task With_a_draft_model_configured_the_server_decodes_speculatively()
    {
        var target = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 11 });
        var draft = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 11, NoiseSeed = 99, NoiseScale = 0.05f });
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = target, draftModel = draft, draftPMin = 0.0, maxTokens = 24, completionMode = "multi" });
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.Contains(", draft atlas-synthetic") == true, "target and draft loaded");
        await client.OpenAsync(Uri, Code);
        await client.RequestAsync("textDocument/inlineCompletion", At(4, 15));
        await client.WaitForAsync(_ => client.Stderr.Contains(" drafted "), "a completion that drafted");
    }
}
