using System.Text;

namespace Atlas.Lsp.Server;

/// <summary>One Content-Length framed message, or the reason the bytes were not one.</summary>
internal readonly record struct Frame(byte[]? Body, string? Problem);

/// <summary>
/// Reads LSP's Content-Length framing from a stream, tolerating garbage: a header without a usable Content-Length
/// is reported and skipped up to the next header, and a body that turns out not to be JSON is searched for the next
/// header (a wrong Content-Length swallows the following message), so one bad message never desynchronises the rest.
/// </summary>
internal sealed class FrameReader(Stream input)
{
    /// <summary>Largest body accepted (a 20 MB document plus JSON overhead fits easily).</summary>
    public const int MaxBody = 256 * 1024 * 1024;

    /// <summary>Longest header line taken as one; anything longer is garbage.</summary>
    private const int MaxHeaderLine = 64 * 1024;

    private static readonly byte[] HeaderName = "Content-Length:"u8.ToArray();

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next frame; null at the end of the stream.</summary>
    public async Task<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        int? length = null;
        string? problem = null;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line is null) return null;
            if (line.Length == 0)
            {
                if (length is null && problem is null) continue; // stray blank line between messages
                break;
            }
            var header = line.IndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase);
            if (header > 0)
            {
                // Garbage ran into the next header: report the garbage, read the header again next time.
                Resynchronize(Encoding.ASCII.GetBytes(line + "\r\n"));
                return new Frame(null, $"unexpected bytes before a header '{Truncate(line[..header])}'");
            }
            if (header == 0)
            {
                if (int.TryParse(line.AsSpan(15).Trim(), out var n) && n >= 0 && n <= MaxBody) length = n;
                else problem = $"bad Content-Length header '{Truncate(line)}'";
            }
            else if (!line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
            {
                problem ??= $"unexpected header line '{Truncate(line)}'";
            }
        }
        if (length is null)
            return new Frame(null, problem ?? "a message without a Content-Length header");
        var body = await ReadBodyAsync(length.Value, cancellationToken);
        if (body is null) return null;
        return new Frame(body, problem);
    }

    /// <summary>
    /// Puts back the part of a bad body that starts at the next Content-Length header, if any, so the message it
    /// swallowed is read next.
    /// </summary>
    public void Resynchronize(byte[] body)
    {
        // From the second byte: a header at the first is the one just read. An empty body (Content-Length: 0) has none.
        var at = body.Length < 2 ? -1 : body.AsSpan(1).IndexOf(HeaderName);
        if (at < 0) return;
        var rest = body.AsSpan(at + 1);
        var pending = _end - _start;
        var merged = new byte[rest.Length + pending + 4096];
        rest.CopyTo(merged);
        _buffer.AsSpan(_start, pending).CopyTo(merged.AsSpan(rest.Length));
        _buffer = merged;
        _start = 0;
        _end = rest.Length + pending;
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            if (newline > MaxHeaderLine)
            {
                // Garbage however it arrived: a long line read in one piece once passed as a Content-Type header, and
                // the same bytes read in pieces did not.
                _start += newline + 1;
                return "garbage";
            }
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(span[..newline]).TrimEnd('\r');
                _start += newline + 1;
                return line;
            }
            if (_end - _start > MaxHeaderLine)
            {
                // A "header" this long is garbage: drop it and keep looking.
                _start = _end;
                return "garbage";
            }
            if (!await FillAsync(cancellationToken)) return null;
        }
    }

    private async Task<byte[]?> ReadBodyAsync(int length, CancellationToken cancellationToken)
    {
        var body = new byte[length];
        var copied = 0;
        while (copied < length)
        {
            if (_end == _start && !await FillAsync(cancellationToken)) return null;
            var n = Math.Min(length - copied, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(body.AsSpan(copied));
            _start += n;
            copied += n;
        }
        return body;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = await input.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0) return false;
        _end += read;
        return true;
    }

    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
