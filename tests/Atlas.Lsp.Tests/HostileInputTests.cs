using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>Bad input gets a proper JSON-RPC error and the server keeps serving.</summary>
public sealed class HostileInputTests
{
    private const string Uri = "file:///work/hostile.cs";

    private static async Task AssertStillServing(LspClient client)
    {
        var answer = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = Uri }, position = new { line = 0, character = 3 } });
        Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
    }

    private static async Task<LspClient> Started()
    {
        var client = LspClient.Start();
        await client.InitializeAsync();
        await client.OpenAsync(Uri, "int x = 1;\n");
        return client;
    }

    private static Task<JsonObject> ParseErrorAsync(LspClient client) =>
        client.WaitForAsync(m => (int?)m["error"]?["code"] == -32700, "a ParseError answer");

    [Fact]
    public async Task A_bad_content_length_is_answered_with_a_parse_error()
    {
        await using var client = await Started();
        await client.WriteRawAsync(Encoding.ASCII.GetBytes("Content-Length: banana\r\n\r\n{}"));
        var error = await ParseErrorAsync(client);
        Assert.Null(error["id"]);
        await AssertStillServing(client);
    }

    [Fact]
    public async Task Invalid_json_is_answered_with_a_parse_error()
    {
        await using var client = await Started();
        await client.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":"u8.ToArray());
        await ParseErrorAsync(client);
        await AssertStillServing(client);
    }

    /// <summary>Well-formed JSON of the wrong shape: each ended the server once (StreamJsonRpc closed the connection).</summary>
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"textDocument/didChange","params":1}""", null, null)]
    [InlineData("""{"jsonrpc":"2.0","id":3,"method":"textDocument/inlineCompletion","params":"x"}""", -32602, "3")]
    [InlineData("""{"jsonrpc":"2.0","id":{"a":1},"method":"textDocument/completion","params":{}}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0","id":[1],"method":"textDocument/completion","params":{}}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0","id":1.5,"method":"textDocument/completion","params":{}}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0","id":true,"method":"textDocument/completion","params":{}}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"shutdown"}""", -32600, "null")]
    [InlineData("""{}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0"}""", -32600, "null")]
    [InlineData("""{"jsonrpc":"2.0","id":5,"method":null}""", -32600, "5")]
    [InlineData("""{"jsonrpc":"2.0","id":6,"method":5}""", -32600, "6")]
    [InlineData("""{"jsonrpc":"2.0","id":9,"method":""}""", -32600, "9")]
    [InlineData("""{"id":7,"method":"shutdown"}""", -32600, "7")]
    [InlineData("""{"jsonrpc":"1.0","id":"eight","method":"shutdown"}""", -32600, "\"eight\"")]
    [InlineData("""{"jsonrpc":"2.0","id":77777777,"result":null}""", null, null)] // a late answer to a request never sent
    public async Task A_message_of_the_wrong_shape_gets_the_specified_error_and_the_server_keeps_serving(string message, int? code, string? id)
    {
        await using var client = await Started();
        await client.WriteAsync(Encoding.UTF8.GetBytes(message));
        if (code is not null)
        {
            var answer = await client.WaitForAsync(m => m["error"] is not null && m["method"] is null, $"error {code}");
            Assert.Equal(code, (int)answer["error"]!["code"]!);
            Assert.Equal(id, answer["id"]?.ToJsonString() ?? "null");
            Assert.Null(answer["error"]!["data"]);
        }
        await AssertStillServing(client);
        Assert.DoesNotContain(client.Unmatched, m => m["error"] is not null && m["method"] is null && code is null);
    }

    [Fact]
    public async Task Params_missing_a_field_the_method_needs_get_invalid_params_and_no_stack_trace()
    {
        await using var client = await Started();
        foreach (var (method, parameters, missing) in new (string, object, string)[]
        {
            ("textDocument/inlineCompletion", new { position = new { line = 0, character = 3 } }, "textDocument"),
            ("textDocument/inlineCompletion", new { textDocument = new { uri = Uri } }, "position"),
            ("textDocument/completion", new { }, "textDocument"),
            ("textDocument/completion", new { textDocument = new { uri = Uri }, position = new { line = 0 } }, "character"),
            ("textDocument/codeAction", new { textDocument = new { uri = Uri }, context = new { diagnostics = Array.Empty<object>() } }, "range"),
        })
        {
            var answer = await client.RequestAsync(method, parameters);
            Assert.True(answer["error"] is not null, answer.ToJsonString());
            Assert.Equal(-32602, (int)answer["error"]!["code"]!);
            Assert.Contains($"'{missing}'", (string)answer["error"]!["message"]!);
            Assert.Null(answer["error"]!["data"]);
        }
        await AssertStillServing(client);
    }

    [Fact]
    public async Task A_content_length_that_swallows_the_next_message_loses_only_the_bad_one()
    {
        await using var client = await Started();
        var good = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 4242, method = "shutdown" });
        var goodFrame = Encoding.ASCII.GetBytes($"Content-Length: {good.Length}\r\n\r\n").Concat(good).ToArray();
        var bad = "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"}"u8.ToArray();
        // The bad header claims its body runs on through the whole next message.
        await client.WriteRawAsync([.. Encoding.ASCII.GetBytes($"Content-Length: {bad.Length + goodFrame.Length}\r\n\r\n"), .. bad, .. goodFrame]);

        await ParseErrorAsync(client);
        var answer = await client.WaitForAsync(m => (int?)m["id"] == 4242, "the answer to the swallowed request");
        Assert.True(answer.ContainsKey("result"));
    }

    [Fact]
    public async Task Unknown_methods_get_method_not_found_and_unknown_notifications_are_ignored()
    {
        await using var client = await Started();
        await client.NotifyAsync("atlas/noSuchNotification", new { });
        await client.NotifyAsync("$/setTrace", new { value = "off" });
        var answer = await client.RequestAsync("atlas/noSuchMethod", new { });
        Assert.Equal(-32601, (int)answer["error"]!["code"]!);
        await AssertStillServing(client);
    }

    [Fact]
    public async Task Wrong_parameter_types_get_invalid_params()
    {
        await using var client = await Started();
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = "first", character = true } });
        Assert.Equal(-32602, (int)answer["error"]!["code"]!);
        await AssertStillServing(client);
    }

    [Fact]
    public async Task Positions_outside_the_document_and_unknown_documents_get_invalid_params()
    {
        await using var client = await Started();
        foreach (var (uri, line, character) in new[] { (Uri, 5, 0), (Uri, 0, 99), (Uri, -1, 0), ("file:///never/opened.cs", 0, 0) })
        {
            var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri }, position = new { line, character } });
            Assert.Equal(-32602, (int)answer["error"]!["code"]!);
        }
        // A change outside the document is a notification: nothing to answer, the last good text stays.
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Uri, version = 9 }, contentChanges = new object[] { new { range = new { start = new { line = 40, character = 0 }, end = new { line = 41, character = 0 } }, text = "x" } } });
        await AssertStillServing(client);
    }

    [Fact]
    public async Task A_20_megabyte_document_is_served()
    {
        await using var client = await Started();
        var line = "    total += values[index] * weights[index]; // accumulate the weighted sum\n";
        var text = new StringBuilder().Insert(0, line, 20 * 1024 * 1024 / line.Length).Append("    return ").ToString();
        var lastLine = text.Count(c => c == '\n');
        await client.OpenAsync("file:///work/huge.cs", text);

        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///work/huge.cs" }, position = new { line = lastLine, character = 11 } });
        Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
        await AssertStillServing(client);
    }

    [Fact]
    public async Task Text_with_a_lone_surrogate_is_kept_with_a_replacement_character_and_served()
    {
        await using var client = await Started();
        // Written by hand: a serializer would not produce the lone "\ud800"; the pair "\ud83d\ude00" must stay a pair.
        var open = """{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///work/lone.cs","languageId":"csharp","version":1,"text":"var a = \"\ud800\";\nvar b = \"\ud83d\ude00\";\nvar c = \\ud800;\n"}}}""";
        await client.WriteAsync(Encoding.UTF8.GetBytes(open));
        // Line 1 is `var b = "😀";`: 13 UTF-16 units with the pair; the end of the line is a valid position, one more is not.
        var served = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = "file:///work/lone.cs" }, position = new { line = 1, character = 13 } });
        Assert.True(served.ContainsKey("result"), served.ToJsonString());
        var beyond = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = "file:///work/lone.cs" }, position = new { line = 1, character = 14 } });
        Assert.Equal(-32602, (int)beyond["error"]!["code"]!);
        // An escaped backslash before "ud800" is text, not an escape: line 2 keeps its 15 units.
        var third = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = "file:///work/lone.cs" }, position = new { line = 2, character = 15 } });
        Assert.True(third.ContainsKey("result"), third.ToJsonString());
        Assert.Contains("lone UTF-16 surrogate", client.Stderr);
    }

    /// <summary>
    /// RSS stayed 350 MB up after a 23 MB C# file was opened, completed in and closed (Roslyn's compilation kept the
    /// removed tree, the large-object heap kept the rest); now about 120 MB, most of it pooled buffers the runtime trims.
    /// </summary>
    [Fact]
    public async Task Closing_a_23_megabyte_document_gives_most_of_its_memory_back()
    {
        await using var client = LspClient.Start();
        await client.InitializeAsync(new { model = SharedModels.Find(SharedModels.CSharpTarget), maxTokens = 8 });
        await client.OpenAsync("file:///work/small.cs", "class A\n{\n    int F() { return 1; }\n}\n");
        await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///work/small.cs" }, position = new { line = 2, character = 21 } });
        var warm = ServerMemory.ResidentMegabytes(client.ProcessId);

        var line = "    total += values[index] * weights[index]; // accumulate the weighted sum\n";
        var text = new StringBuilder().Insert(0, line, 23 * 1024 * 1024 / line.Length).Append("    return ").ToString();
        await client.OpenAsync("file:///work/huge.cs", text);
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///work/huge.cs" }, position = new { line = text.Count(c => c == '\n'), character = 11 } });
        Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
        var open = ServerMemory.ResidentMegabytes(client.ProcessId);
        await client.NotifyAsync("textDocument/didClose", new { textDocument = new { uri = "file:///work/huge.cs" } });
        await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = "file:///work/small.cs" }, position = new { line = 2, character = 21 } });
        var closed = ServerMemory.ResidentMegabytes(client.ProcessId);

        Assert.Contains("Closed a document of", client.Stderr);
        Assert.True(closed - warm < 230, $"RSS warm {warm:F0} MB, with the document open {open:F0} MB, after closing it {closed:F0} MB");
    }
}
