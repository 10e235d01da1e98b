namespace Atlas.Documents;

/// <summary>
/// An immutable snapshot of a document: its text, version and line starts. Positions are UTF-16 code units,
/// which is what .NET strings index, so a position maps to a string offset without re-encoding. Line breaks
/// are \n, \r\n and \r, as in LSP.
/// </summary>
public sealed class TextDocument
{
    private readonly int[] _lineStarts;

    public TextDocument(string uri, string languageId, int version, string text)
    {
        Uri = uri;
        LanguageId = languageId;
        Version = version;
        Text = text;
        _lineStarts = LineStarts(text);
    }

    public string Uri { get; }
    public string LanguageId { get; }
    public int Version { get; }
    public string Text { get; }
    public int LineCount => _lineStarts.Length;

    /// <summary>Whether the position lies inside the document (a character may sit at the end of its line).</summary>
    public bool Contains(TextPosition position) =>
        position.Line >= 0 && position.Line < _lineStarts.Length &&
        position.Character >= 0 && position.Character <= LineLength(position.Line);

    /// <summary>The string offset of a position; throws <see cref="ArgumentOutOfRangeException"/> outside the document.</summary>
    public int OffsetAt(TextPosition position)
    {
        if (!Contains(position))
            throw new ArgumentOutOfRangeException(nameof(position), $"Position {position} is outside the document ({LineCount} lines).");
        return _lineStarts[position.Line] + position.Character;
    }

    /// <summary>The position of a string offset.</summary>
    public TextPosition PositionAt(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        var line = Array.BinarySearch(_lineStarts, offset);
        if (line < 0) line = ~line - 1;
        return new TextPosition(line, offset - _lineStarts[line]);
    }

    /// <summary>The length of a line without its line break.</summary>
    public int LineLength(int line)
    {
        var start = _lineStarts[line];
        var end = line + 1 < _lineStarts.Length ? _lineStarts[line + 1] : Text.Length;
        while (end > start && (Text[end - 1] == '\n' || Text[end - 1] == '\r')) end--;
        return end - start;
    }

    /// <summary>A line's text without its line break.</summary>
    public string LineText(int line) => Text.Substring(_lineStarts[line], LineLength(line));

    /// <summary>A new snapshot with <paramref name="range"/> replaced (an incremental LSP change), or the whole text when range is null.</summary>
    public TextDocument WithChange(TextRange? range, string newText, int version)
    {
        if (range is not { } r) return new TextDocument(Uri, LanguageId, version, newText);
        var start = OffsetAt(r.Start);
        var end = OffsetAt(r.End);
        if (end < start) throw new ArgumentOutOfRangeException(nameof(range), $"Range end {r.End} is before its start {r.Start}.");
        return new TextDocument(Uri, LanguageId, version, string.Concat(Text.AsSpan(0, start), newText, Text.AsSpan(end)));
    }

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                starts.Add(i + 1);
            }
            else if (c == '\n')
            {
                starts.Add(i + 1);
            }
        }
        return [.. starts];
    }
}
