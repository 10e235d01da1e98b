namespace Atlas.Completion.Pacing;

/// <summary>
/// How long an automatic request waits before it reaches the model (setting atlas.debounce): adaptive to the user's
/// typing, a fixed number of milliseconds, or not at all (0). A request superseded while it waits never costs a model
/// run; an explicit request (the user asked) and an answer from the suggestion cache never wait.
/// </summary>
public readonly record struct Debounce(int? FixedMs)
{
    public static Debounce Adaptive => new(null);
    public static Debounce None => new(0);
    public static Debounce Fixed(int ms) => new(ms);

    public bool IsAdaptive => FixedMs is null;

    /// <summary>Most a fixed debounce may be: beyond this a suggestion comes so late the user has moved on.</summary>
    public const int MostMs = 5000;

    /// <summary>"adaptive", or a whole number of milliseconds from 0 to <see cref="MostMs"/>.</summary>
    public static Debounce Parse(string text) =>
        text.Trim().Equals("adaptive", StringComparison.OrdinalIgnoreCase) ? Adaptive
        : int.TryParse(text, out var ms) ? FromMs(ms)
        : throw new ArgumentException($"must be \"adaptive\" or a number of milliseconds, not '{text}'");

    public static Debounce FromMs(int ms) => ms is >= 0 and <= MostMs ? Fixed(ms) : throw new ArgumentException($"must be from 0 to {MostMs} ms, not {ms}");

    public override string ToString() => FixedMs is { } ms ? $"{ms} ms" : "adaptive";
}

/// <summary>Where the cursor is when a request arrives: what makes a suggestion likely to be wanted now.</summary>
public readonly record struct TypingContext(char Before, bool AtLineEnd, bool AtDocumentEnd)
{
    /// <summary>
    /// How likely a suggestion is wanted here, 0 to 1: after a non-word character (a dot, a bracket, a space), at
    /// the end of the line, at the end of the document (Tabby's weights, which its users have tuned for years).
    /// </summary>
    public double Readiness =>
        Math.Clamp((char.IsLetterOrDigit(Before) || Before == '_' ? 0 : 0.5) + (AtLineEnd ? 0.4 : 0) + (AtDocumentEnd ? 0.1 : 0), 0, 1);
}

/// <summary>
/// Tabby's adaptive debounce, in the server so every editor gets it: the base interval is the user's own recent
/// keystroke interval (the mean of those between 100 and 400 ms, once there are more than ten; 200 ms before),
/// times 1.5 where a suggestion is likely wanted up to 3 where it is not, less the time the model is expected to
/// take anyway, held to at most a second. A fast typer mid-word waits longest; at a pause after a dot the request
/// goes soonest.
/// <para>
/// One change from Tabby: the wait never drops below the user's own typing interval, where Tabby's floor is 100 ms.
/// Tabby subtracts the expected response time because a remote server's time costs the editor nothing; here the
/// model runs on this machine, and a run the next keystroke supersedes costs a prompt evaluation that cannot be
/// interrupted and delays the run after it. With Tabby's floor a 400 ms model ran for 99 of every 100 characters
/// typed at 120–250 ms a key (`bench lsp`): the wait was always 100 ms, shorter than every keystroke interval.
/// </para>
/// </summary>
public sealed class KeystrokeDebounce
{
    private const int Window = 100;
    private const int FewestIntervals = 10;
    private const double ShortestInterval = 100, LongestInterval = 400;
    private const double EagerRate = 1.5, ReluctantRate = 3.0;
    private const double LongestDelay = 1000;

    private readonly Lock _gate = new();
    private readonly Queue<double> _intervals = new();
    private double _sum;
    private long _lastTicks;

    /// <summary>The user's typing interval the delay is built on, ms.</summary>
    public double BaseInterval
    {
        get
        {
            lock (_gate) return _intervals.Count > FewestIntervals ? Math.Clamp(_sum / _intervals.Count, ShortestInterval, LongestInterval) : 200;
        }
    }

    /// <summary>Notes an automatic request's arrival (one per keystroke, as editors ask); intervals outside 100–400 ms are pauses or bursts, not typing.</summary>
    public void Keystroke(long timestampTicks)
    {
        lock (_gate)
        {
            var last = _lastTicks;
            _lastTicks = timestampTicks;
            if (last == 0) return;
            var ms = (timestampTicks - last) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            if (ms is < ShortestInterval or > LongestInterval) return;
            _intervals.Enqueue(ms);
            _sum += ms;
            if (_intervals.Count > Window) _sum -= _intervals.Dequeue();
        }
    }

    /// <summary>How long an automatic request waits under <paramref name="debounce"/>, given the model's expected time.</summary>
    public TimeSpan Delay(Debounce debounce, TypingContext context, double expectedResponseMs)
    {
        if (debounce.FixedMs is { } ms) return TimeSpan.FromMilliseconds(ms);
        var rate = ReluctantRate - (ReluctantRate - EagerRate) * context.Readiness;
        var typing = BaseInterval;
        return TimeSpan.FromMilliseconds(Math.Clamp(rate * typing - expectedResponseMs, typing, LongestDelay));
    }
}
