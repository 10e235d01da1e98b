using System.Collections.Concurrent;

namespace Atlas.Documents;

/// <summary>
/// The open documents by URI, as the editor last described them. Snapshots are immutable, so a reader (a completion
/// in progress, the context builder) keeps a consistent view while edits arrive.
/// </summary>
public sealed class DocumentStore
{
    private readonly ConcurrentDictionary<string, TextDocument> _documents = new(StringComparer.Ordinal);

    /// <summary>Raised after a document is opened or changed, with the new snapshot.</summary>
    public event Action<TextDocument>? Changed;

    /// <summary>Raised after a document is closed.</summary>
    public event Action<string>? Closed;

    public void Open(TextDocument document)
    {
        _documents[document.Uri] = document;
        Changed?.Invoke(document);
    }

    /// <summary>Applies the editor's changes in order; throws when the document is not open or a range is outside it.</summary>
    public TextDocument Change(string uri, int version, IEnumerable<(TextRange? Range, string Text)> changes)
    {
        var document = Get(uri) ?? throw new KeyNotFoundException($"Document not open: {uri}");
        foreach (var (range, text) in changes) document = document.WithChange(range, text, version);
        _documents[uri] = document;
        Changed?.Invoke(document);
        return document;
    }

    public void Close(string uri)
    {
        if (_documents.TryRemove(uri, out _)) Closed?.Invoke(uri);
    }

    public TextDocument? Get(string uri) => _documents.TryGetValue(uri, out var d) ? d : null;

    public IReadOnlyCollection<TextDocument> All => [.. _documents.Values];
}
