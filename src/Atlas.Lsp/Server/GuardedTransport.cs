using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Server;

/// <summary>
/// Sits between the editor's pipes and StreamJsonRpc. StreamJsonRpc drops the connection on a message it cannot
/// parse; an editor (or a bug in one) must not be able to kill the server that way. So incoming frames are checked
/// here first: JSON objects that keep JSON-RPC's rules (<see cref="Envelope"/>) go on to StreamJsonRpc, other objects
/// get the error the specification gives them (or are dropped when nobody waits for an answer), messages the session's
/// state does not admit (<see cref="Lifecycle"/>) get LSP's error, and anything else is answered with a JSON-RPC
/// ParseError and skipped. Outgoing frames from StreamJsonRpc and our own error answers are written whole, one at a
/// time, so they never interleave.
/// </summary>
internal sealed class GuardedTransport(Stream input, Stream output, Lifecycle lifecycle, ILogger logger)
{
    private readonly Pipe _fromEditor = new();
    private readonly Pipe _toRpc = new();
    private readonly Pipe _fromRpc = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<string> _awaited = new(StringComparer.Ordinal);
    /// <summary>
    /// Ids of the editor's requests StreamJsonRpc has not answered yet. A request reusing one of them is refused, so
    /// each id is here at most once.
    /// </summary>
    private readonly HashSet<string> _unanswered = new(StringComparer.Ordinal);

    /// <summary>What StreamJsonRpc reads from.</summary>
    public Stream RpcInput => _toRpc.Reader.AsStream();

    /// <summary>What StreamJsonRpc writes to.</summary>
    public Stream RpcOutput => _fromRpc.Writer.AsStream();

    /// <summary>Completes when the editor closes its end of the input.</summary>
    public Task InputClosed { get; private set; } = Task.CompletedTask;

    /// <summary>Completes when StreamJsonRpc's output has ended and every message it wrote has reached the editor.</summary>
    public Task OutputDrained { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken cancellationToken)
    {
        // Reading the editor's pipe blocks. On Unix the console stream's ReadAsync is a synchronous read on a pool
        // thread, held for the whole session; with a generation holding another, a 2-core machine's pool has no
        // thread left, and a $/cancelRequest or didChange waited about half a second for the pool to grow (longer
        // than a whole short generation). So a thread of its own reads the pipe; everything after it is asynchronous.
        new Thread(() => ReadEditor(cancellationToken)) { IsBackground = true, Name = "atlas-stdin" }.Start();
        InputClosed = Task.Run(() => PumpInputAsync(cancellationToken), cancellationToken);
        OutputDrained = Task.Run(() => PumpOutputAsync(cancellationToken), cancellationToken);
    }

    private void ReadEditor(CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        try
        {
            int read;
            while (!cancellationToken.IsCancellationRequested && (read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (_fromEditor.Writer.WriteAsync(buffer.AsMemory(0, read), cancellationToken).AsTask().GetAwaiter().GetResult().IsCompleted) break;
            }
            _fromEditor.Writer.Complete();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Handed on: the frame pump logs a closed input, and ends either way.
            _fromEditor.Writer.Complete(e as IOException);
        }
    }

    private async Task PumpInputAsync(CancellationToken cancellationToken)
    {
        var reader = new FrameReader(_fromEditor.Reader.AsStream());
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (frame.Body is { } body && frame.Problem is null && JsonObject(body) is { } message)
                {
                    string? requestId, answerId;
                    using (message)
                    {
                        if (Envelope.Check(message.RootElement, Awaited) is { } refusal)
                        {
                            logger.LogWarning("Refused an incoming message: {Why}", refusal.Why);
                            if (refusal.Answer is { } answer) await SendAsync(answer, cancellationToken);
                            continue;
                        }
                        answerId = Envelope.RequestId(message.RootElement);
                        if (message.RootElement.TryGetProperty("method", out var method) && lifecycle.Admit(method.GetString()!) is { } early)
                        {
                            logger.LogWarning("Refused {Kind} {Method}: {Why}", answerId is null ? "notification" : "request", method.GetString(), early.Message);
                            if (answerId is not null) await SendAsync(Envelope.ErrorAnswer(early.Code, early.Message, answerId), cancellationToken);
                            continue;
                        }
                        requestId = method.ValueKind == JsonValueKind.String && message.RootElement.TryGetProperty("id", out var idValue) ? Envelope.IdKey(idValue) : null;
                    }
                    // A second request with the id of one in progress: StreamJsonRpc answered it with its own -32000 ("an
                    // item with the same key has already been added"); the id is the editor's mistake, so Invalid Request.
                    if (requestId is not null && !Claim(requestId))
                    {
                        var taken = $"Invalid Request: the id {answerId} belongs to a request still in progress.";
                        logger.LogWarning("Refused an incoming message: {Why}", taken);
                        await SendAsync(Envelope.ErrorAnswer(Envelope.InvalidRequest, taken, answerId!), cancellationToken);
                        continue;
                    }
                    // Only now, past the envelope's checks: a lone surrogate in the id, method or version is refused there
                    // with the id as the editor wrote it; replaced before, the answer's id would not be the request's.
                    if (LoneSurrogates.Replace(body) is > 0 and var lone)
                        logger.LogWarning("Replaced {Count} lone UTF-16 surrogate(s) in an incoming message with U+FFFD", lone);
                    await WriteFrameAsync(_toRpc.Writer, body, cancellationToken);
                    continue;
                }
                var why = frame.Problem ?? "the body is not a JSON object";
                logger.LogWarning("Rejected an incoming message: {Why}", why);
                if (frame.Body is { } bad) reader.Resynchronize(bad);
                await SendAsync(ParseError(why), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException e)
        {
            logger.LogInformation("Input closed: {Message}", e.Message);
        }
        finally
        {
            await _toRpc.Writer.CompleteAsync();
        }
    }

    private async Task PumpOutputAsync(CancellationToken cancellationToken)
    {
        var reader = new FrameReader(_fromRpc.Reader.AsStream());
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { Body: { } body })
            {
                NoteIds(body);
                await SendAsync(body, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>Writes one whole message to the editor.</summary>
    public async Task SendAsync(byte[] body, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
            await output.WriteAsync(header, cancellationToken);
            await output.WriteAsync(body, cancellationToken);
            await output.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static async Task WriteFrameAsync(PipeWriter writer, byte[] body, CancellationToken cancellationToken)
    {
        await writer.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), cancellationToken);
        await writer.WriteAsync(body, cancellationToken);
    }

    /// <summary>
    /// The body as a JSON object, or null when it is not one. Nesting deeper than StreamJsonRpc reads (64 levels, its
    /// reader's default) counts as not JSON: let through, it ended the connection. So do bytes that are not UTF-8
    /// (JSON text is UTF-8; the parser checks a string's bytes only when it is read, and an id or a method that could
    /// not be read ended the connection too).
    /// </summary>
    private static JsonDocument? JsonObject(byte[] body)
    {
        if (!Utf8.IsValid(body)) return null;
        try
        {
            var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Remembers the id of a request the server sends the editor, so that its answer is let through to StreamJsonRpc
    /// and an answer to anything else is not (StreamJsonRpc ends the connection on a response it cannot place); and
    /// crosses off the editor's requests as their answers go out (their ids may then be used again).
    /// </summary>
    private void NoteIds(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        string? id = null;
        var hasMethod = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "method") hasMethod = true;
            else if (name == "id" && reader.TokenType is JsonTokenType.String or JsonTokenType.Number && JsonElement.ParseValue(ref reader) is var value
                     && (value.ValueKind == JsonValueKind.String || value.TryGetInt64(out _)))
                id = Envelope.IdKey(value);
            reader.Skip();
        }
        if (id is null) return;
        if (hasMethod) lock (_awaited) _awaited.Add(id);
        else lock (_unanswered) _unanswered.Remove(id);
    }

    /// <summary>
    /// Waits, at most <paramref name="limit"/>, until every request passed on to StreamJsonRpc has its answer on the
    /// way to the editor: at exit, a client that sent everything at once still gets the answers it asked for.
    /// </summary>
    public async Task AnsweredAsync(TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            lock (_unanswered) if (_unanswered.Count == 0) return;
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>Takes an id for a request passed on to StreamJsonRpc; false when a request in progress has it.</summary>
    private bool Claim(string id)
    {
        lock (_unanswered) return _unanswered.Add(id);
    }

    private bool Awaited(string id)
    {
        lock (_awaited) return _awaited.Remove(id);
    }

    private static byte[] ParseError(string why) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        jsonrpc = "2.0",
        id = (object?)null,
        error = new { code = -32700, message = $"Parse error: {why}." },
    });
}
