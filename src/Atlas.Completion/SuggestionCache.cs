using Atlas.Documents;

namespace Atlas.Completion;

/// <summary>
/// Recent suggestions by where they were made. When the user types exactly what was suggested, the rest of the
/// suggestion is the answer and the model need not run: typing through a suggestion costs nothing. An entry is
/// keyed by the cursor offset and the text just before it, so an edit elsewhere earlier in the line invalidates it.
/// </summary>
public sealed class SuggestionCache(int capacity = SuggestionCache.DefaultCapacity)
{
    public const int DefaultCapacity = 32;

    /// <summary>How much text before the cursor must match for a cached suggestion to apply.</summary>
    private const int AnchorChars = 256;

    private readonly LinkedList<Entry> _recent = new();
    private readonly Lock _gate = new();

    private sealed record Entry(string Uri, int Offset, string Anchor, string Suggestion, bool Prepared);

    /// <param name="prepared">Made ahead of the request, for the document as it will be once a shown suggestion is accepted.</param>
    public void Remember(TextDocument document, int offset, string suggestion, bool prepared = false)
    {
        var entry = new Entry(document.Uri, offset, Anchor(document.Text, offset), suggestion, prepared);
        lock (_gate)
        {
            _recent.AddFirst(entry);
            while (_recent.Count > capacity) _recent.RemoveLast();
        }
    }

    /// <summary>The unconsumed remainder of a cached suggestion the user has been typing (or has just reached), if any.</summary>
    public Cached? Remainder(TextDocument document, int offset)
    {
        var text = document.Text;
        lock (_gate)
        {
            foreach (var e in _recent)
            {
                if (e.Uri != document.Uri || e.Offset > offset || offset - e.Offset >= e.Suggestion.Length) continue;
                var typed = text.AsSpan(e.Offset, offset - e.Offset);
                if (e.Suggestion.AsSpan().StartsWith(typed, StringComparison.Ordinal) && Anchor(text, e.Offset) == e.Anchor)
                    return new Cached(e.Suggestion[typed.Length..], e.Prepared);
            }
            return null;
        }
    }

    /// <summary>What the cache answers with: the rest of a suggestion, and whether it was made ahead of its request.</summary>
    public sealed record Cached(string Text, bool Prepared);

    public void Forget(string uri)
    {
        lock (_gate)
        {
            for (var node = _recent.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Uri == uri) _recent.Remove(node);
                node = next;
            }
        }
    }

    private static string Anchor(string text, int offset) => text.Substring(Math.Max(0, offset - AnchorChars), Math.Min(offset, AnchorChars));
}
