using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Lsp.Server;

namespace Atlas.Lsp.Bench;

/// <summary>
/// Just enough of an LSP client to drive the server over in-process pipes. Several requests may be outstanding at
/// once, as an editor has them while the user types, and one can be cancelled with $/cancelRequest.
/// </summary>
internal sealed class PipeClient
{
    private readonly Stream _output;
    private readonly Stream _input;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly List<JsonNode> _notifications = [];
    private int _id;

    public PipeClient(Stream output, Stream input)
    {
        _output = output;
        _input = input;
        _ = Task.Run(ReadLoop);
    }

    public Task<JsonNode?> Request(string method, object? parameters) => Send(method, parameters).Answer;

    /// <summary>Sends a request and returns its id with the task its answer completes.</summary>
    public (int Id, Task<JsonNode?> Answer) Send(string method, object? parameters)
    {
        var id = Interlocked.Increment(ref _id);
        var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var written = Write(new { jsonrpc = "2.0", id, method, @params = parameters });
        return (id, written.ContinueWith(w => w.IsFaulted ? Task.FromException<JsonNode?>(w.Exception!.InnerException!) : answer.Task, TaskScheduler.Default).Unwrap());
    }

    public Task Cancel(int id) => Notify("$/cancelRequest", new { id });

    /// <summary>The first notification of this method that matches, kept from earlier reads or still to come.</summary>
    public async Task<JsonNode> Notification(string method, Func<JsonNode, bool> match)
    {
        while (true)
        {
            lock (_notifications)
                if (_notifications.FirstOrDefault(n => (string?)n["method"] == method && match(n)) is { } seen) return seen;
            await Task.Delay(10);
        }
    }

    /// <summary>The first window/logMessage whose text contains <paramref name="text"/>.</summary>
    public Task<JsonNode> LogMessage(string text) =>
        Notification("window/logMessage", n => ((string?)n["params"]?["message"])?.Contains(text, StringComparison.Ordinal) == true);

    public Task Notify(string method, object? parameters) => Write(new { jsonrpc = "2.0", method, @params = parameters });

    private async Task Write(object message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message);
        await _writing.WaitAsync();
        try
        {
            await _output.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
            await _output.WriteAsync(body);
            await _output.FlushAsync();
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task ReadLoop()
    {
        try
        {
            while (true)
            {
                var message = await Read();
                // Answers, and notifications a bench may wait for; the server's own requests go unanswered.
                if (message?["method"] is null && message?["id"] is JsonValue v && v.TryGetValue<int>(out var id) && _pending.TryRemove(id, out var answer))
                    answer.TrySetResult(message);
                else if (message?["method"] is not null && message["id"] is null)
                    lock (_notifications) _notifications.Add(message);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            foreach (var (_, answer) in _pending) answer.TrySetException(new EndOfStreamException("The server closed the connection."));
        }
    }

    private async Task<JsonNode?> Read()
    {
        var header = new StringBuilder();
        var one = new byte[1];
        while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _input.ReadAsync(one) == 0) throw new EndOfStreamException();
            header.Append((char)one[0]);
        }
        var length = int.Parse(header.ToString().Split(':')[1].Split('\r')[0].Trim());
        var body = new byte[length];
        await _input.ReadExactlyAsync(body);
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
