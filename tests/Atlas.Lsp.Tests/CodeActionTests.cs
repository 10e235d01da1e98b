using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>"Fix this" over the protocol: instant listing, a versioned edit or a clear refusal on resolve.</summary>
public sealed class CodeActionTests
{
    private const string Uri = "file:///work/Calc.cs";
    private const string Broken = "class Calc\n{\n    int Twice(int value)\n    {\n        var result = value * 2\n        return result;\n    }\n}\n";

    private static object Request(int version = 1) => new
    {
        textDocument = new { uri = Uri },
        range = new { start = new { line = 4, character = 8 }, end = new { line = 4, character = 30 } },
        context = new { diagnostics = Array.Empty<object>() },
    };

    private static async Task<LspClient> Started(bool resolveSupport = true, object? settings = null)
    {
        var client = LspClient.Start();
        var capabilities = resolveSupport
            ? new { textDocument = new { codeAction = new { resolveSupport = new { properties = new[] { "edit" } } } } }
            : (object)new { };
        await client.InitializeAsync(settings ?? new { model = LspClient.TinyModel, fixCandidates = 2 }, capabilities);
        await client.OpenAsync(Uri, Broken, version: 7);
        return client;
    }

    [Fact]
    public async Task Listing_offers_fix_this_with_roslyns_diagnostics_and_runs_no_model()
    {
        await using var client = await Started();
        var answer = await client.RequestAsync("textDocument/codeAction", Request());

        var action = Assert.Single(answer["result"]!.AsArray())!;
        Assert.Equal("Atlas: fix this", (string)action["title"]!);
        Assert.Equal("quickfix", (string)action["kind"]!);
        Assert.Null(action["edit"]);
        Assert.Contains(action["diagnostics"]!.AsArray(), d => (string?)d!["code"] == "CS1002");
        Assert.DoesNotContain("candidate 1/", client.Stderr);
    }

    [Fact]
    public async Task Types_from_other_files_of_the_workspace_are_no_problem_to_fix()
    {
        var repository = Samples.Repository("csharp");
        var file = Path.Combine(repository, "Shop.App", "CheckoutService.cs");
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = LspClient.TinyModel }, new { textDocument = new { codeAction = new { resolveSupport = new { properties = new[] { "edit" } } } } }, repository);
        await client.WaitForAsync(_ => client.Stderr.Contains("Indexed "), "the workspace index");
        var uri = new Uri(file).AbsoluteUri;
        await client.OpenAsync(uri, await File.ReadAllTextAsync(file));
        object At(int line, int character) => new
        {
            textDocument = new { uri },
            range = new { start = new { line, character }, end = new { line, character } },
            context = new { diagnostics = Array.Empty<object>() },
        };

        // "private readonly CustomerRepository _repo;": CustomerRepository is declared in Shop.Core, another project.
        Assert.Empty((await client.RequestAsync("textDocument/codeAction", At(6, 30)))["result"]!.AsArray());
        // "var customer = _repo." is broken for real: a member name is missing after the dot.
        var action = Assert.Single((await client.RequestAsync("textDocument/codeAction", At(12, 29)))["result"]!.AsArray())!;
        Assert.Equal("Atlas: fix this", (string)action["title"]!);
    }

    [Fact]
    public async Task Resolve_returns_a_versioned_edit_of_the_statement_or_a_clear_no_fix_message()
    {
        await using var client = await Started();
        var action = (await client.RequestAsync("textDocument/codeAction", Request()))["result"]![0]!;
        var resolved = (await client.RequestAsync("codeAction/resolve", action))["result"]!.AsObject();

        if (resolved["edit"] is JsonObject edit)
        {
            var change = edit["documentChanges"]![0]!;
            Assert.Equal(Uri, (string)change["textDocument"]!["uri"]!);
            Assert.Equal(7, (int)change["textDocument"]!["version"]!);
            var range = change["edits"]![0]!["range"]!;
            Assert.Equal((4, 0, 4, 30), ((int)range["start"]!["line"]!, (int)range["start"]!["character"]!, (int)range["end"]!["line"]!, (int)range["end"]!["character"]!));
        }
        else
        {
            // The random model rarely writes valid C#: then no broken edit, but a reason.
            Assert.StartsWith("No verified fix found", (string)resolved["disabled"]!["reason"]!);
            var shown = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage", "the no-fix message");
            Assert.Contains("No verified fix found", (string)shown["params"]!["message"]!);
        }
        Assert.Contains("candidate 1/2", client.Stderr);
    }

    [Fact]
    public async Task A_client_without_resolve_gets_the_outcome_with_the_listing()
    {
        await using var client = await Started(resolveSupport: false);
        var action = (await client.RequestAsync("textDocument/codeAction", Request()))["result"]![0]!;
        Assert.True(action["edit"] is not null || action["disabled"] is not null);
    }

    [Fact]
    public async Task Resolving_after_the_document_changed_is_refused()
    {
        await using var client = await Started();
        var action = (await client.RequestAsync("textDocument/codeAction", Request()))["result"]![0]!;
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Uri, version = 8 }, contentChanges = new object[] { new { text = Broken + "\n" } } });

        var answer = await client.RequestAsync("codeAction/resolve", action);
        Assert.Equal(-32801, (int)answer["error"]!["code"]!);
        Assert.Contains("changed", (string)answer["error"]!["message"]!);
    }

    [Fact]
    public async Task Other_languages_are_offered_an_unverified_fix()
    {
        await using var client = await Started();
        await client.OpenAsync("file:///work/f.py", "def f(x):\n    return x +\n", "python");
        var answer = await client.RequestAsync("textDocument/codeAction", new
        {
            textDocument = new { uri = "file:///work/f.py" },
            range = new { start = new { line = 1, character = 4 }, end = new { line = 1, character = 14 } },
            context = new { diagnostics = new[] { new { range = new { start = new { line = 1, character = 13 }, end = new { line = 1, character = 14 } }, message = "invalid syntax", source = "pyright" } } },
        });
        Assert.Equal("Atlas: fix this (unverified)", (string)answer["result"]![0]!["title"]!);
    }

    [Fact]
    public async Task Cancelling_a_resolve_answers_request_cancelled()
    {
        await using var client = await Started(settings: new { model = LspClient.TinyModel, fixCandidates = 50 });
        var action = (await client.RequestAsync("textDocument/codeAction", Request()))["result"]![0]!;
        var (id, answer) = client.Send("codeAction/resolve", action);
        await client.WaitForAsync(_ => client.Stderr.Contains("candidate 1/50"), "the first candidate");
        await client.NotifyAsync("$/cancelRequest", new { id });
        Assert.Equal(-32800, (int)(await answer)["error"]!["code"]!);
    }
}
