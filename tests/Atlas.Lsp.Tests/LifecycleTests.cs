using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>initialize/shutdown/exit as the specification says, and the executable's own flags.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Initialize_advertises_exactly_what_is_implemented()
    {
        await using var client = LspClient.Start();
        var result = await client.InitializeAsync();
        var capabilities = result["result"]!["capabilities"]!.AsObject();

        Assert.Equal(["codeActionProvider", "completionProvider", "executeCommandProvider", "inlineCompletionProvider", "textDocumentSync"], capabilities.Select(p => p.Key).Order());
        Assert.Equal(2, (int)capabilities["textDocumentSync"]!["change"]!);
        Assert.True((bool)capabilities["codeActionProvider"]!["resolveProvider"]!);
        Assert.Equal("atlas-lsp", (string)result["result"]!["serverInfo"]!["name"]!);
    }

    [Fact]
    public async Task Shutdown_then_exit_ends_with_code_0()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        var shutdown = await client.RequestAsync("shutdown", null);
        Assert.True(shutdown.ContainsKey("result"));
        await client.NotifyAsync("exit", null);
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Shutdown_then_exit_ends_with_code_0_even_when_the_input_closes_right_after()
    {
        // The input's end raced the exit notification through the dispatcher: 1 in 6 such sessions ended with 1.
        for (var session = 0; session < 4; session++)
        {
            await using var client = LspClient.Start();
            await client.InitializeAsync();
            await client.RequestAsync("shutdown", null);
            await client.NotifyAsync("exit", null);
            client.CloseInput();
            Assert.Equal(0, await client.WaitForExitAsync());
        }
    }

    [Fact]
    public async Task A_client_that_sends_everything_at_once_gets_every_answer_before_the_exit()
    {
        // The answers were lost when exit ended the process with them still on their way out.
        await using var client = LspClient.Start();
        var initialize = client.Send("initialize", new { processId = Environment.ProcessId, capabilities = new { } });
        await client.NotifyAsync("initialized", new { });
        var unknown = client.Send("atlas/noSuchMethod", new { });
        var shutdown = client.Send("shutdown", null);
        await client.NotifyAsync("exit", null);

        Assert.True((await initialize.Answer).ContainsKey("result"));
        Assert.Equal(-32601, (int)(await unknown.Answer)["error"]!["code"]!);
        Assert.True((await shutdown.Answer).ContainsKey("result"));
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Exit_without_shutdown_ends_with_code_1()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.NotifyAsync("exit", null);
        Assert.Equal(1, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Before_initialize_requests_get_server_not_initialized_and_notifications_are_dropped()
    {
        await using var client = LspClient.Start();
        await client.NotifyAsync("textDocument/didOpen", new { textDocument = new { uri = "file:///early.cs", languageId = "csharp", version = 1, text = "int x;\n" } });
        foreach (var method in new[] { "textDocument/inlineCompletion", "shutdown", "atlas/unknownMethod" })
        {
            var early = await client.RequestAsync(method, new { textDocument = new { uri = "file:///early.cs" }, position = new { line = 0, character = 0 } });
            Assert.Equal(-32002, (int)early["error"]!["code"]!);
        }
        await client.InitializeAsync();
        // The didOpen before initialize was dropped, as LSP says: the document is not open.
        var later = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///early.cs" }, position = new { line = 0, character = 0 } });
        Assert.Equal(-32602, (int)later["error"]!["code"]!);
        Assert.Contains("not open", (string)later["error"]!["message"]!);
    }

    [Fact]
    public async Task After_shutdown_every_request_gets_invalid_request_and_exit_still_ends_with_0()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync("file:///late.cs", "int x = 1;\n");
        Assert.True((await client.RequestAsync("shutdown", null)).ContainsKey("result"));
        foreach (var (method, parameters) in new (string, object?)[]
                 {
                     ("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///late.cs" }, position = new { line = 0, character = 3 } }),
                     ("textDocument/completion", new { textDocument = new { uri = "file:///late.cs" }, position = new { line = 0, character = 3 } }),
                     ("initialize", new { processId = 1, capabilities = new { } }),
                     ("shutdown", null),
                     ("atlas/unknownMethod", new { }),
                 })
        {
            var late = await client.RequestAsync(method, parameters);
            Assert.Equal(-32600, (int)late["error"]!["code"]!);
        }
        await client.NotifyAsync("exit", null);
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    [Fact]
    public async Task Without_a_workspace_folder_the_log_says_so_instead_of_indexing_nothing_in_nowhere()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        await client.WaitForAsync(_ => client.Stderr.Contains("No workspace folder to index"), "the no-workspace line");
        Assert.DoesNotContain("Indexed 0 files in", client.Stderr);
    }

    [Fact]
    public async Task A_second_initialize_gets_invalid_request()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        var again = await client.RequestAsync("initialize", new { processId = 1, capabilities = new { } });
        Assert.Equal(-32600, (int)again["error"]!["code"]!);
    }

    [Fact]
    public async Task The_server_exits_when_the_client_closes_its_input()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync();
        client.CloseInput();
        Assert.Equal(1, await client.WaitForExitAsync());
    }

    [Theory]
    [InlineData("--version", "atlas-lsp 0.1.0")]
    [InlineData("--version", "backend: Cpu (LLamaSharp 0.30.0)")]
    [InlineData("--version", "llama.cpp: CPU : ")]
    [InlineData("--help", "--stdio")]
    public async Task Version_and_help_print_and_exit_0(string flag, string expected)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll"));
        info.ArgumentList.Add(flag);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains(expected, output);
    }
}
