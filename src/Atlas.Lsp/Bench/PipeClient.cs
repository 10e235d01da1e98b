using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Lsp.Server;

namespace Atlas.Lsp.Bench;

/// <summary>Just enough of an LSP client to drive the server over in-process pipes or a child process's stdio.</summary>
internal sealed class PipeClient(Stream output, Stream input)
{
    private readonly List<JsonNode> _notifications = [];
    private int _id;

    public async Task<JsonNode?> Request(string method, object? parameters)
    {
        var id = ++_id;
        await Write(new { jsonrpc = "2.0", id, method, @params = parameters });
        while (true)
        {
            var message = await Read();
            if (message?["id"] is JsonValue v && v.TryGetValue<int>(out var got) && got == id && message["method"] is null) return message;
            if (message?["method"] is not null && message["id"] is null) _notifications.Add(message);
        }
    }

    /// <summary>The first notification of this method that matches, kept from earlier reads or read now.</summary>
    public async Task<JsonNode> Notification(string method, Func<JsonNode, bool> match)
    {
        bool Matches(JsonNode n) => (string?)n["method"] == method && match(n);
        if (_notifications.FirstOrDefault(Matches) is { } seen) return seen;
        while (true)
        {
            var message = await Read();
            if (message?["method"] is null || message["id"] is not null) continue;
            _notifications.Add(message);
            if (Matches(message)) return message;
        }
    }

    /// <summary>The first window/logMessage whose text contains <paramref name="text"/>.</summary>
    public Task<JsonNode> LogMessage(string text) =>
        Notification("window/logMessage", n => ((string?)n["params"]?["message"])?.Contains(text, StringComparison.Ordinal) == true);

    public Task Notify(string method, object? parameters) => Write(new { jsonrpc = "2.0", method, @params = parameters });

    private async Task Write(object message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message);
        await output.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        await output.WriteAsync(body);
        await output.FlushAsync();
    }

    private async Task<JsonNode?> Read()
    {
        var header = new StringBuilder();
        var one = new byte[1];
        while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await input.ReadAsync(one) == 0) throw new EndOfStreamException();
            header.Append((char)one[0]);
        }
        var length = int.Parse(header.ToString().Split(':')[1].Split('\r')[0].Trim());
        var body = new byte[length];
        await input.ReadExactlyAsync(body);
        return JsonNode.Parse(body);
    }
}

/// <summary>
/// The real server running in this process over a pair of pipes, and a client on the other ends: benchmarks drive
/// it exactly as an editor would, and can still look at its parts. Disposing sends shutdown and exit.
/// </summary>
internal sealed class PipeSession : IAsyncDisposable
{
    private readonly Task<int> _serving;

    private PipeSession(ServerHost host, CancellationToken cancellationToken)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        _serving = host.RunAsync(toServer.Reader.AsStream(), toClient.Writer.AsStream(), cancellationToken);
        Client = new PipeClient(toServer.Writer.AsStream(), toClient.Reader.AsStream());
    }

    public PipeClient Client { get; }

    public static PipeSession Start(ServerHost host, CancellationToken cancellationToken) => new(host, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Client.Request("shutdown", null);
        await Client.Notify("exit", null);
        await _serving;
    }
}
