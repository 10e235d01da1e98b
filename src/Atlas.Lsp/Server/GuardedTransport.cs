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
/// get the error the specification gives them (or are dropped when nobody waits for an answer), and anything else is
/// answered with a JSON-RPC ParseError and skipped. Outgoing frames from StreamJsonRpc and our own error answers are written whole, one at a
/// time, so they never interleave.
/// </summary>
internal sealed class GuardedTransport(Stream input, Stream output, ILogger logger)
{
    private readonly Pipe _fromEditor = new();
    private readonly Pipe _toRpc = new();
    private readonly Pipe _fromRpc = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<string> _awaited = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

    /// <summary>What StreamJsonRpc reads from.</summary>
    public Stream RpcInput => _toRpc.Reader.AsStream();

    /// <summary>What StreamJsonRpc writes to.</summary>
    public Stream RpcOutput => _fromRpc.Writer.AsStream();

    /// <summary>Completes when the editor closes its end of the input.</summary>
    public Task InputClosed { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken cancellationToken)
    {
        // Reading the editor's pipe blocks. On Unix the console stream's ReadAsync is a synchronous read on a pool
        // thread, held for the whole session; with a generation holding another, a 2-core machine's pool has no
        // thread left, and a $/cancelRequest or didChange waited about half a second for the pool to grow (longer
        // than a whole short generation). So a thread of its own reads the pipe; everything after it is asynchronous.
        new Thread(() => ReadEditor(cancellationToken)) { IsBackground = true, Name = "atlas-stdin" }.Start();
        InputClosed = Task.Run(() => PumpInputAsync(cancellationToken), cancellationToken);
        _ = Task.Run(() => PumpOutputAsync(cancellationToken), cancellationToken);
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
                    using (message)
                    {
                        if (Envelope.Check(message.RootElement, Awaited, Claim) is { } refusal)
                        {
                            logger.LogWarning("Refused an incoming message: {Why}", refusal.Why);
                            if (refusal.Answer is { } answer) await SendAsync(answer, cancellationToken);
                            continue;
                        }
                    }
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
    /// frees the id of an editor's request the server answers, which a new request may then use again.
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
        else lock (_inProgress) _inProgress.Remove(id);
    }

    private bool Claim(string id)
    {
        lock (_inProgress) return _inProgress.Add(id);
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
