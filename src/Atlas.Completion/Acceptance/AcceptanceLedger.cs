namespace Atlas.Completion.Acceptance;

/// <summary>How one group of suggestions fared: offered by the server, shown by the client, taken by the user.</summary>
public sealed record AcceptanceFigures(int Offered, int Shown, int Accepted, int PartiallyAccepted, long ShownChars, long AcceptedChars)
{
    /// <summary>Accepted (wholly or in part) over shown; null before anything was shown.</summary>
    public double? AcceptRate => Shown > 0 ? (double)(Accepted + PartiallyAccepted) / Shown : null;
}

/// <summary>The session's figures: all together, by language, and single-line against multi-line suggestions.</summary>
public sealed record AcceptanceReport(AcceptanceFigures All, IReadOnlyDictionary<string, AcceptanceFigures> ByLanguage, AcceptanceFigures SingleLine, AcceptanceFigures MultiLine);

/// <summary>
/// What became of the suggestions this session offered. Each offered suggestion gets an id that the client sends
/// back when it shows it (textDocument/didShowCompletion), when the user takes part of it
/// (textDocument/didPartiallyAcceptCompletion, with the characters taken) and when the user takes it whole (the
/// item's command, atlas.accepted). Ids are counted once per event, whatever a client repeats; the figures stay in
/// the process and nothing leaves the machine. A client that never says what it shows (Neovim and Helix show every
/// answer they get) has every offered suggestion counted as shown.
/// </summary>
public sealed class AcceptanceLedger(int remembered = AcceptanceLedger.DefaultRemembered)
{
    /// <summary>Suggestions whose fate can still be reported: an accept comes seconds after the offer, not thousands of offers later.</summary>
    public const int DefaultRemembered = 1000;

    private sealed class Entry(string language, bool singleLine, int chars)
    {
        public string Language { get; } = language;
        public bool SingleLine { get; } = singleLine;
        public int Chars { get; } = chars;
        public bool Shown { get; set; }
        public bool Accepted { get; set; }
        public int PartialChars { get; set; }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    // Suggestions too old to report on, summed by language and line kind: a long session does not grow the ledger.
    private readonly Dictionary<(string Language, bool SingleLine), AcceptanceFigures> _retired = [];
    private long _next;
    private bool _showsReported;

    /// <summary>Records an offered suggestion and returns the id the client reports it by.</summary>
    public string Offer(string language, string text)
    {
        lock (_gate)
        {
            var id = $"atlas-{++_next}";
            _entries[id] = new Entry(language, !text.Contains('\n'), text.Length);
            _order.Enqueue(id);
            while (_order.Count > remembered && _order.TryDequeue(out var old))
            {
                // Its fate can no longer change, but it still counts.
                if (_entries.Remove(old, out var entry))
                    _retired[(entry.Language, entry.SingleLine)] = Add(_retired.GetValueOrDefault((entry.Language, entry.SingleLine)), Figures([entry], _showsReported));
            }
            return id;
        }
    }

    /// <summary>The offered text's length, or null for an id this session did not give out (or forgot).</summary>
    public int? Length(string id)
    {
        lock (_gate) return _entries.TryGetValue(id, out var e) ? e.Chars : null;
    }

    /// <returns>False for an unknown id.</returns>
    public bool Shown(string id)
    {
        lock (_gate) _showsReported = true;
        return Update(id, e => e.Shown = true);
    }

    /// <returns>False for an unknown id.</returns>
    public bool Accepted(string id) => Update(id, e =>
    {
        e.Shown = true;
        e.Accepted = true;
    });

    /// <summary>The user took the first <paramref name="acceptedLength"/> characters (cumulative, as clients report it).</summary>
    /// <returns>False for an unknown id.</returns>
    public bool PartiallyAccepted(string id, int acceptedLength) => Update(id, e =>
    {
        e.Shown = true;
        e.PartialChars = Math.Max(e.PartialChars, Math.Clamp(acceptedLength, 0, e.Chars));
        if (e.PartialChars == e.Chars) e.Accepted = true;
    });


    public AcceptanceReport Report()
    {
        lock (_gate)
        {
            var groups = _entries.Values.GroupBy(e => (e.Language, e.SingleLine)).ToDictionary(g => g.Key, g => Figures(g, _showsReported));
            foreach (var (key, figures) in _retired) groups[key] = Add(groups.GetValueOrDefault(key), figures);
            AcceptanceFigures Sum(Func<(string Language, bool SingleLine), bool> which) =>
                groups.Where(g => which(g.Key)).Aggregate(Empty, (sum, g) => Add(sum, g.Value));
            return new AcceptanceReport(
                Sum(_ => true),
                groups.Keys.Select(k => k.Language).Distinct().Order(StringComparer.Ordinal).ToDictionary(l => l, l => Sum(k => k.Language == l)),
                Sum(k => k.SingleLine),
                Sum(k => !k.SingleLine));
        }
    }

    private bool Update(string id, Action<Entry> change)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out var entry)) return false;
            change(entry);
            return true;
        }
    }

    private static readonly AcceptanceFigures Empty = new(0, 0, 0, 0, 0, 0);

    private static AcceptanceFigures Add(AcceptanceFigures? a, AcceptanceFigures b) => a is null ? b : new(
        a.Offered + b.Offered, a.Shown + b.Shown, a.Accepted + b.Accepted, a.PartiallyAccepted + b.PartiallyAccepted, a.ShownChars + b.ShownChars, a.AcceptedChars + b.AcceptedChars);

    private static AcceptanceFigures Figures(IEnumerable<Entry> entries, bool showsReported)
    {
        int offered = 0, shown = 0, accepted = 0, partial = 0;
        long shownChars = 0, acceptedChars = 0;
        foreach (var e in entries)
        {
            offered++;
            if (e.Shown || !showsReported) { shown++; shownChars += e.Chars; }
            if (e.Accepted) { accepted++; acceptedChars += e.Chars; }
            else if (e.PartialChars > 0) { partial++; acceptedChars += e.PartialChars; }
        }
        return new AcceptanceFigures(offered, shown, accepted, partial, shownChars, acceptedChars);
    }
}
