namespace Atlas.Completion.Pacing;

/// <summary>The recent model-run latencies, and whether they are slow enough to tell the user.</summary>
public sealed record LatencyVerdict(int Requests, double P50Ms, double P95Ms, int HitTimeBudget, bool TooSlow, bool TooManyTimeouts)
{
    public bool IsSlow => TooSlow || TooManyTimeouts;
}

/// <summary>
/// Watches the latency of the last requests that ran the model (not answers from the cache, not superseded ones), as
/// Tabby does: slow when their median exceeds a threshold (atlas.slowLatencyMs) or when half of them ran out of the
/// generation time budget. The user is told once per slow spell; the spell ends when the median is back under
/// three quarters of the threshold, so a borderline machine does not flicker between the two.
/// </summary>
public sealed class LatencyTracker(int window = LatencyTracker.DefaultWindow)
{
    public const int DefaultWindow = 20;

    /// <summary>Requests needed before a verdict: the first ones after a load are cold and say little.</summary>
    private int Fewest => Math.Max(5, window / 2);

    private readonly Lock _gate = new();
    private readonly Queue<(double Ms, bool HitBudget)> _recent = new();
    private bool _slowSpell;

    /// <summary>The median latency of the recent model runs, or null before any; the debounce subtracts it.</summary>
    public double? TypicalMs
    {
        get
        {
            lock (_gate) return _recent.Count == 0 ? null : Percentile(_recent.Select(r => r.Ms).ToList(), 50);
        }
    }

    /// <summary>
    /// Notes one model run. Returns the verdict when this run starts a slow spell (the moment to tell the user), or
    /// ends one (to clear a warning), else null.
    /// </summary>
    public LatencyVerdict? Add(double totalMs, bool hitTimeBudget, double thresholdMs)
    {
        lock (_gate)
        {
            _recent.Enqueue((totalMs, hitTimeBudget));
            while (_recent.Count > window) _recent.Dequeue();
            if (_recent.Count < Fewest) return null;
            var verdict = Judge(thresholdMs);
            if (!_slowSpell && verdict.IsSlow)
            {
                _slowSpell = true;
                return verdict;
            }
            if (_slowSpell && !verdict.TooManyTimeouts && verdict.P50Ms < 0.75 * thresholdMs)
            {
                _slowSpell = false;
                return verdict;
            }
            return null;
        }
    }

    /// <summary>The figures now, for the status display and atlas.stats.</summary>
    public LatencyVerdict Current(double thresholdMs)
    {
        lock (_gate) return Judge(thresholdMs);
    }

    private LatencyVerdict Judge(double thresholdMs)
    {
        var times = _recent.Select(r => r.Ms).ToList();
        var budget = _recent.Count(r => r.HitBudget);
        var p50 = Percentile(times, 50);
        return new LatencyVerdict(times.Count, p50, Percentile(times, 95), budget,
            TooSlow: times.Count >= Fewest && p50 > thresholdMs, TooManyTimeouts: times.Count >= Fewest && budget * 2 >= times.Count);
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        values.Sort();
        var rank = (int)Math.Ceiling(p / 100 * values.Count) - 1;
        return values[Math.Clamp(rank, 0, values.Count - 1)];
    }
}
