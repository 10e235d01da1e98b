using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>
/// A small LSP client for tests: starts the built atlas-lsp as a child process and speaks Content-Length framed
/// JSON-RPC over its pipes. Raw bytes can be sent too, for hostile-input tests.
/// </summary>
public sealed class LspClient : IAsyncDisposable
{
    /// <summary>Generous ceiling for any one answer: a hung server fails the test instead of hanging it.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly StringBuilder _stderr = new();
    private int _nextId;

    public ConcurrentQueue<JsonObject> Notifications { get; } = new();

    /// <summary>Every message the server sent, in the order it arrived: answers, notifications and requests alike.</summary>
    public ConcurrentQueue<JsonObject> Received { get; } = new();
    public ConcurrentQueue<JsonObject> Unmatched { get; } = new();
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The server's process id, for reading its memory from /proc.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the server has ended (a crash, when the test did not send exit).</summary>
    public bool HasExited => _process.HasExited;

    private LspClient(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _ = Task.Run(ReadLoop);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public static string TinyModel => SharedModels.Find(SharedModels.TinyLlama);

    public static LspClient Start(params string[] extraArgs) => Start(new Dictionary<string, string>(), extraArgs);

    /// <summary>Starts the server with extra environment variables (model cache folders, say).</summary>
    public static LspClient Start(IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--stdio");
        foreach (var a in extraArgs) info.ArgumentList.Add(a);
        info.Environment["ATLAS_LOG"] = "Debug";
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return new LspClient(Process.Start(info)!);
    }

    /// <summary>initialize (with the tiny model unless told otherwise) and initialized.</summary>
    public async Task<JsonObject> InitializeAsync(object? atlasSettings = null, object? capabilities = null, string? workspaceFolder = null)
    {
        var settings = atlasSettings ?? new { model = TinyModel, maxTokens = 16 };
        var folders = workspaceFolder is null ? null : new[] { new { uri = new Uri(workspaceFolder).AbsoluteUri, name = Path.GetFileName(workspaceFolder) } };
        var result = await RequestAsync("initialize", new { processId = Environment.ProcessId, capabilities = capabilities ?? new { }, initializationOptions = new { atlas = settings }, workspaceFolders = folders });
        await NotifyAsync("initialized", new { });
        return result;
    }

    public Task OpenAsync(string uri, string text, string language = "csharp", int version = 1) =>
        NotifyAsync("textDocument/didOpen", new { textDocument = new { uri, languageId = language, version, text } });

    public async Task<JsonObject> RequestAsync(string method, object? parameters, CancellationToken cancellationToken = default)
    {
        var (id, answer) = Send(method, parameters);
        return await answer.WaitAsync(Patience, cancellationToken);
    }

    /// <summary>Sends a request and returns its id with the answer still to come (for cancellation tests).</summary>
    public (int Id, Task<JsonObject> Answer) Send(string method, object? parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        _ = WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id, method, @params = parameters }));
        return (id, answer.Task);
    }

    public Task NotifyAsync(string method, object? parameters) =>
        WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", method, @params = parameters }));

    /// <summary>Writes a body with a correct header.</summary>
    public Task WriteAsync(byte[] body) => WriteRawAsync([.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body]);

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public async Task WriteRawAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stdin.WriteAsync(bytes);
            await _stdin.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Waits for a notification (or id-less message) matching a predicate.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            foreach (var n in Notifications.Concat(Unmatched))
                if (match(n)) return n;
            await Task.Delay(20);
        }
        throw new TimeoutException($"No {what} arrived. Stderr:\n{Stderr}");
    }

    public void CloseInput() => _stdin.Close();

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Patience);
        return _process.ExitCode;
    }

    private async Task ReadLoop()
    {
        var stdout = _process.StandardOutput.BaseStream;
        var header = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (true)
            {
                header.Clear();
                while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stdout.ReadAsync(one) == 0) return;
                    header.Append((char)one[0]);
                }
                var length = int.Parse(header.ToString().Split("Content-Length:")[1].Split("\r\n")[0].Trim());
                var body = new byte[length];
                await stdout.ReadExactlyAsync(body);
                var message = JsonNode.Parse(body)!.AsObject();
                Received.Enqueue(message);
                if (message.ContainsKey("method") && !message.ContainsKey("id")) Notifications.Enqueue(message);
                else if (message.ContainsKey("method") && message["id"] is not null) await AnswerServerRequest(message);
                else if (message["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id) && _pending.TryRemove(id, out var waiter)) waiter.TrySetResult(message);
                else Unmatched.Enqueue(message);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The result for a server-to-client request; null (an empty success) unless a test says otherwise.</summary>
    public Func<JsonObject, object?> Answer { get; set; } = _ => null;

    /// <summary>Server-to-client requests (workDoneProgress/create) get an empty success, as editors answer them.</summary>
    private async Task AnswerServerRequest(JsonObject request)
    {
        Notifications.Enqueue(request);
        await WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = request["id"]!.DeepClone(), result = Answer(request) }));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
