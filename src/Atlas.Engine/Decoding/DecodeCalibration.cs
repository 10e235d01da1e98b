using System.Diagnostics;

namespace Atlas.Engine.Decoding;

/// <summary>
/// Measures a target/draft pair's decode costs once, at load: the target's call for batches of 1 to 1 + draftMax tokens
/// and one draft step, on a short context. A few dozen calls; the planner then follows real requests from there.
/// </summary>
internal static class DecodeCalibration
{
    /// <summary>Batch sizes timed on the target; the sizes between are interpolated.</summary>
    private static readonly int[] Sizes = [1, 2, 3, 5, 9, 17, 33];

    /// <summary>Tokens in the cache while timing: a little context, as the first tokens of a short request have.</summary>
    private const int ContextTokens = 32;

    /// <summary>Timed rounds over all sizes, after one warm-up round (first graphs, first touch of the weights).</summary>
    private const int Rounds = 3;

    public static DecodeCosts Measure(KvCacheSession target, KvCacheSession draft, int draftMax, IReadOnlyList<int> sampleTokens)
    {
        var largest = Math.Max(2, Math.Min(draftMax + 1, target.BatchSize));
        var sizes = Sizes.Where(s => s < largest).Append(largest).ToArray();
        var prompt = Enumerable.Range(0, ContextTokens).Select(i => sampleTokens[i % sampleTokens.Count]).ToArray();
        try
        {
            target.Clear();
            draft.Clear();
            target.Prefill(prompt, CancellationToken.None);
            draft.Prefill(prompt, CancellationToken.None);
            // Sizes take turns round by round, and each keeps its fastest call: a busy moment then spoils one sample of
            // one size, not the shape of the whole curve.
            var targetTimes = sizes.Select(_ => double.MaxValue).ToArray();
            var draftTime = double.MaxValue;
            for (var round = 0; round < Rounds + 1; round++)
            {
                for (var i = 0; i < sizes.Length; i++)
                {
                    var seconds = Time(target, prompt, sizes[i]);
                    if (round > 0) targetTimes[i] = Math.Min(targetTimes[i], seconds);
                }
                var draftSeconds = Time(draft, prompt, 1);
                if (round > 0) draftTime = Math.Min(draftTime, draftSeconds);
            }

            var dense = new double[largest];
            for (var n = 1; n <= largest; n++)
            {
                var upper = Array.FindIndex(sizes, s => s >= n);
                dense[n - 1] = sizes[upper] == n || upper == 0
                    ? targetTimes[upper]
                    : targetTimes[upper - 1] + (targetTimes[upper] - targetTimes[upper - 1]) * (n - sizes[upper - 1]) / (sizes[upper] - sizes[upper - 1]);
            }
            // A bigger batch never costs less than a smaller one; timing noise must not make it look so.
            for (var i = 1; i < dense.Length; i++) dense[i] = Math.Max(dense[i], dense[i - 1]);
            return new DecodeCosts(dense, draftTime);
        }
        finally
        {
            target.Clear();
            draft.Clear();
        }
    }

    /// <summary>One call of <paramref name="tokens"/> tokens after the prompt, in seconds; the cache is cut back after it.</summary>
    private static double Time(KvCacheSession session, int[] prompt, int tokens)
    {
        Span<int> batch = stackalloc int[tokens];
        for (var i = 0; i < tokens; i++) batch[i] = prompt[i % prompt.Length];
        session.Append(batch);
        var seconds = (double)session.LastDecodeTicks / Stopwatch.Frequency;
        session.Truncate(prompt.Length);
        return seconds;
    }
}
