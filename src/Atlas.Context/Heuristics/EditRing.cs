namespace Atlas.Context.Heuristics;

/// <summary>
/// The chunks the user recently edited, newest first, as llama.vim keeps them: what someone just touched is what
/// they are likely to use next. Bounded, and a chunk edited again moves to the front instead of repeating.
/// </summary>
public sealed class EditRing(int capacity = EditRing.DefaultCapacity)
{
    public const int DefaultCapacity = 16;
    public const int ChunkLines = 8;

    private readonly LinkedList<(string Path, int Line, string Chunk)> _chunks = new();
    private readonly Lock _gate = new();

    /// <summary>Records the lines around an edit.</summary>
    public void Record(string path, string text, int line)
    {
        var lines = text.Split('\n');
        var start = Math.Max(0, line - ChunkLines / 2);
        var chunk = string.Join('\n', lines.Skip(start).Take(ChunkLines)).Trim();
        if (chunk.Length == 0) return;
        lock (_gate)
        {
            for (var node = _chunks.First; node is not null; node = node.Next)
            {
                if (node.Value.Path == path && Math.Abs(node.Value.Line - line) < ChunkLines)
                {
                    _chunks.Remove(node);
                    break;
                }
            }
            _chunks.AddFirst((path, line, chunk));
            while (_chunks.Count > capacity) _chunks.RemoveLast();
        }
    }

    public IReadOnlyList<(string Path, int Line, string Chunk)> Recent
    {
        get { lock (_gate) return [.. _chunks]; }
    }
}
