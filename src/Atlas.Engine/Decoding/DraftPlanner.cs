namespace Atlas.Engine.Decoding;

/// <summary>
/// What decode calls cost, in seconds: the target's call by batch size (index n − 1 holds a call of n tokens, each
/// with logits) and one draft step. Measured on the pair at load (<see cref="DecodeCalibration"/>), then scaled by what
/// requests observe.
/// </summary>
public sealed record DecodeCosts(IReadOnlyList<double> Target, double Draft)
{
    /// <summary>One single-token target step: what the target alone pays per token.</summary>
    public double TargetStep => Target[0];

    /// <summary>A target call of <paramref name="tokens"/> tokens; past the measured sizes, extended along the last slope.</summary>
    public double TargetCall(int tokens)
    {
        if (tokens <= Target.Count) return Target[Math.Max(1, tokens) - 1];
        var last = Target.Count - 1;
        var slope = last > 0 ? Math.Max(0, Target[last] - Target[last - 1]) : Target[0];
        return Target[last] + (tokens - Target.Count) * slope;
    }

    /// <summary>A draft step over a target step: the c in the break-even formula.</summary>
    public double DraftRatio => Draft / TargetStep;
}

/// <summary>
/// How the draft has done on this pair: the share of draft steps confident enough to propose (its top probability at
/// least draftPMin) and the share of proposals the target accepted (after all earlier ones in the draft were accepted).
/// </summary>
public readonly record struct DraftOdds(double Confident, double Accepted);

/// <summary>
/// The expected gain of drafting, from costs and odds. A pass that drafts up to k tokens makes draft step i only when the
/// i − 1 before it were confident (probability q^(i−1)); the target verifies the pending token and the m proposals in
/// one call T(1 + m); proposal j is accepted when every one before it was, with probability (q·a)^j. So
///   tokens per pass  E = 1 + Σ_{j=1..k} (q·a)^j
///   cost per pass    C = D · Σ_{i=0..k−1} q^i + Σ_m P(m) · T(1 + m)
///   gain             G = E · T(1) / C   (the target alone pays T(1) per token)
/// and drafting pays when G &gt; 1. Pure arithmetic, so the decision can be tested with given costs.
/// </summary>
public static class SpeculationMath
{
    public static double ExpectedGain(DecodeCosts costs, DraftOdds odds, int length)
    {
        if (length <= 0) return 1;
        var (q, a) = (Math.Clamp(odds.Confident, 0, 1), Math.Clamp(odds.Accepted, 0, 1));
        double tokens = 1, draftSteps = 0, target = 0;
        for (var i = 0; i < length; i++) draftSteps += Math.Pow(q, i);
        for (var j = 1; j <= length; j++) tokens += Math.Pow(q * a, j);
        // m proposals: each of the first k steps goes on with probability q, so P(m = j) = q^j (1 − q) below k, q^k at k.
        for (var m = 0; m <= length; m++)
        {
            var p = m < length ? Math.Pow(q, m) * (1 - q) : Math.Pow(q, length);
            target += p * costs.TargetCall(1 + m);
        }
        return tokens * costs.TargetStep / (draftSteps * costs.Draft + target);
    }

    /// <summary>The draft length from 1 to <paramref name="most"/> with the best expected gain, and that gain.</summary>
    public static (int Length, double Gain) BestLength(DecodeCosts costs, DraftOdds odds, int most)
    {
        var best = (Length: 0, Gain: 1.0);
        for (var k = 1; k <= most; k++)
        {
            var gain = ExpectedGain(costs, odds, k);
            if (best.Length == 0 || gain > best.Gain) best = (k, gain);
        }
        return best;
    }

    /// <summary>
    /// Whether verifying <paramref name="proposals"/> already drafted tokens is worth its extra target cost: each is
    /// accepted with probability a once the ones before it were, and every accepted token saves a target step.
    /// </summary>
    public static bool WorthVerifying(DecodeCosts costs, double accepted, int proposals)
    {
        if (proposals <= 0) return false;
        double saved = 0;
        for (var j = 1; j <= proposals; j++) saved += Math.Pow(Math.Clamp(accepted, 0, 1), j);
        return saved * costs.TargetStep > costs.TargetCall(1 + proposals) - costs.TargetStep;
    }

    /// <summary>
    /// The acceptance a draft needs to break even at length k when it is always confident (q = 1), found by bisection:
    /// the README's break-even figure for a measured cost ratio.
    /// </summary>
    public static double BreakEvenAcceptance(DecodeCosts costs, int length)
    {
        if (ExpectedGain(costs, new DraftOdds(1, 1), length) <= 1) return double.NaN;
        double low = 0, high = 1;
        for (var i = 0; i < 40; i++)
        {
            var mid = (low + high) / 2;
            if (ExpectedGain(costs, new DraftOdds(1, mid), length) > 1) high = mid; else low = mid;
        }
        return high;
    }
}

/// <summary>One pass of speculative decoding, as the decoder saw it.</summary>
public readonly record struct DraftPass(
    int DraftSteps,
    int ConfidenceTests,
    int ConfidentSteps,
    int Verified,
    int Accepted,
    double DraftSeconds,
    int TargetTokens,
    double TargetSeconds);

/// <summary>
/// Decides, pass by pass, how far the draft drafts, from the pair's measured costs and how its draft has done: as far
/// as the expected gain is best, and not at all where no length pays (gain ≤ 1), so speculation is never knowingly
/// slower than the target alone. While drafting is off, the draft is tried again now and then (a probe, at intervals
/// that double while probes do not pay), since the code being written may turn predictable. One per target/draft
/// pair, kept across requests; the engine serializes its users. Costs start at the load-time calibration and follow
/// what passes measure (machine load, context length) through one scale factor per model.
/// </summary>
public sealed class DraftPlanner
{
    /// <summary>Weight of one observation in the running estimates of the draft's odds.</summary>
    public const double OddsWeight = 0.05;

    /// <summary>Weight of one timed call in the running cost scales.</summary>
    public const double CostWeight = 0.1;

    /// <summary>Passes without drafting before the first probe, and the longest interval probes back off to.</summary>
    public const int FirstProbe = 4, LongestProbeInterval = 64;

    /// <summary>
    /// While no draft length pays, requests leave the draft out altogether (not even its prompt is evaluated), but for
    /// one in this many, which drafts from its first pass to measure the pair again; the interval doubles up to the
    /// longest while such requests do not bring drafting back.
    /// </summary>
    public const int FirstRequestProbe = 4, LongestRequestProbeInterval = 32;

    /// <summary>
    /// What a new pair is assumed to do before its draft has drafted: confident and accepted often enough that drafting
    /// is tried, so the estimates can learn from real passes.
    /// </summary>
    public static readonly DraftOdds Prior = new(Confident: 0.7, Accepted: 0.8);

    private readonly DecodeCosts _calibrated;
    private double _targetScale = 1, _draftScale = 1;
    private double _confident, _accepted;
    private int _skipped;
    private int _probeInterval = FirstProbe;
    private int _pausedRequests;
    private int _requestProbeInterval = FirstRequestProbe;

    /// <param name="calibrated">The costs measured at load.</param>
    /// <param name="prior">What to expect of the draft before it has drafted: optimistic, so a new pair gets its chance.</param>
    public DraftPlanner(DecodeCosts calibrated, DraftOdds prior)
    {
        _calibrated = calibrated;
        (_confident, _accepted) = (prior.Confident, prior.Accepted);
    }

    /// <summary>The costs as they stand: the calibration scaled by what requests measured.</summary>
    public DecodeCosts Costs => new(_calibrated.Target.Select(t => t * _targetScale).ToArray(), _calibrated.Draft * _draftScale);

    public DraftOdds Odds => new(_confident, _accepted);

    /// <summary>The best expected gain of drafting at most <paramref name="most"/> tokens now.</summary>
    public (int Length, double Gain) Outlook(int most) => SpeculationMath.BestLength(Costs, Odds, most);

    /// <summary>
    /// Whether a new request should bring the draft at all: yes while some draft length of at most
    /// <paramref name="most"/> pays; else only now and then, as a probe that drafts on its first pass.
    /// </summary>
    public bool TakesRequest(int most)
    {
        if (Outlook(most).Gain > 1)
        {
            (_pausedRequests, _requestProbeInterval) = (0, FirstRequestProbe);
            return true;
        }
        if (++_pausedRequests < _requestProbeInterval) return false;
        _pausedRequests = 0;
        _requestProbeInterval = Math.Min(LongestRequestProbeInterval, _requestProbeInterval * 2);
        _skipped = _probeInterval;
        return true;
    }

    /// <summary>
    /// How many tokens to draft this pass, at most <paramref name="most"/>; 0: decode with the target alone. Drafting
    /// where the expected gain is above 1, else a probe when one is due.
    /// </summary>
    public int DraftLength(int most)
    {
        if (most <= 0) return 0;
        var (length, gain) = Outlook(most);
        if (gain > 1)
        {
            _skipped = 0;
            return length;
        }
        if (++_skipped <= _probeInterval) return 0;
        _skipped = 0;
        Probing = true;
        return length;
    }

    /// <summary>Whether the pass in progress is a probe (drafting although the estimates say it does not pay).</summary>
    public bool Probing { get; private set; }

    /// <summary>Whether verifying these proposals is worth the target's extra cost (the smallest batch worth verifying).</summary>
    public bool WorthVerifying(int proposals) => SpeculationMath.WorthVerifying(Costs, _accepted, proposals);

    /// <summary>Learns from a finished pass: the draft's odds, and the cost scales from its timed calls.</summary>
    public void Observe(DraftPass pass)
    {
        for (var i = 0; i < pass.ConfidenceTests; i++)
            _confident += OddsWeight * ((i < pass.ConfidentSteps ? 1 : 0) - _confident);
        // Proposals after the first rejected one say nothing about acceptance.
        var informative = Math.Min(pass.Verified, pass.Accepted + 1);
        for (var j = 0; j < informative; j++)
            _accepted += OddsWeight * ((j < pass.Accepted ? 1 : 0) - _accepted);
        if (pass.TargetTokens > 0 && pass.TargetSeconds > 0)
            _targetScale += CostWeight * (pass.TargetSeconds / _calibrated.TargetCall(pass.TargetTokens) - _targetScale);
        if (pass.DraftSteps > 0 && pass.DraftSeconds > 0)
            _draftScale += CostWeight * (pass.DraftSeconds / pass.DraftSteps / _calibrated.Draft - _draftScale);

        if (!Probing) return;
        Probing = false;
        // A probe that paid for itself brings probing back to its first interval; one that did not doubles it.
        var costs = Costs;
        var paid = (1 + pass.Accepted) * costs.TargetStep > pass.DraftSteps * costs.Draft + costs.TargetCall(pass.TargetTokens);
        _probeInterval = paid ? FirstProbe : Math.Min(LongestProbeInterval, _probeInterval * 2);
    }
}
