using Atlas.Engine.Decoding;

namespace Atlas.Engine.Tests;

/// <summary>
/// The speculative planner's decisions as pure logic, with given costs (no timing): when drafting pays, how far, when
/// it stops for a pair that cannot win, and how it comes back.
/// </summary>
public sealed class DraftPlannerTests
{
    /// <summary>Target calls that grow by <paramref name="perToken"/> of a step per extra token, up to 17 tokens.</summary>
    private static DecodeCosts Costs(double perToken, double draft) =>
        new(Enumerable.Range(1, 17).Select(n => 1 + perToken * (n - 1)).ToArray(), draft);

    /// <summary>A pass as the decoder reports it, timed exactly as calibrated (so the cost scales stay at 1).</summary>
    private static DraftPass Pass(DecodeCosts costs, int proposed, int accepted, bool unsure = false) =>
        new(DraftSteps: proposed + (unsure ? 1 : 0), ConfidenceTests: proposed + (unsure ? 1 : 0), ConfidentSteps: proposed,
            Verified: proposed, Accepted: accepted, DraftSeconds: (proposed + (unsure ? 1 : 0)) * costs.Draft,
            TargetTokens: proposed + 1, TargetSeconds: costs.TargetCall(proposed + 1));

    private static DraftPass TargetOnly(DecodeCosts costs) => new(0, 0, 0, 0, 0, 0, 1, costs.TargetStep);

    [Fact]
    public void The_expected_gain_follows_the_formula()
    {
        var costs = Costs(perToken: 0.1, draft: 0.1);
        // A draft always confident and always right, 4 tokens: 5 tokens for 4 draft steps and one call of 5.
        Assert.Equal(5 / (4 * 0.1 + 1.4), SpeculationMath.ExpectedGain(costs, new DraftOdds(1, 1), 4), 9);
        // Never confident: one wasted draft step and a single-token call per token.
        Assert.Equal(1 / 1.1, SpeculationMath.ExpectedGain(costs, new DraftOdds(0, 1), 4), 9);
        Assert.Equal(1, SpeculationMath.ExpectedGain(costs, new DraftOdds(1, 1), 0));
    }

    [Fact]
    public void At_the_break_even_acceptance_the_gain_is_one()
    {
        var costs = Costs(perToken: 0.3, draft: 0.2);
        var a = SpeculationMath.BreakEvenAcceptance(costs, 4);
        Assert.InRange(a, 0.01, 0.99);
        Assert.Equal(1, SpeculationMath.ExpectedGain(costs, new DraftOdds(1, a), 4), 6);
        Assert.True(SpeculationMath.ExpectedGain(costs, new DraftOdds(1, a + 0.05), 4) > 1);
        Assert.True(double.IsNaN(SpeculationMath.BreakEvenAcceptance(Costs(perToken: 1, draft: 1), 4)), "a draft that costs a target step can never pay");
    }

    [Fact]
    public void A_cheap_draft_that_is_accepted_drafts_long()
    {
        var costs = Costs(perToken: 0.05, draft: 0.05);
        var planner = new DraftPlanner(costs, new DraftOdds(0.95, 0.95));
        Assert.True(planner.DraftLength(16) >= 8, $"drafted {planner.DraftLength(16)}");
        Assert.Equal(3, planner.DraftLength(3));
        Assert.Equal(0, planner.DraftLength(0));
    }

    [Fact]
    public void A_pair_that_cannot_win_decodes_with_the_target_alone_but_for_rarer_and_rarer_probes()
    {
        // Verifying costs a full step per token and a draft step as much as the target's: no acceptance pays.
        var costs = Costs(perToken: 1, draft: 1);
        var planner = new DraftPlanner(costs, DraftPlanner.Prior);
        var probes = new List<int>();
        for (var pass = 0; pass < 400; pass++)
        {
            var length = planner.DraftLength(8);
            if (length == 0) { planner.Observe(TargetOnly(costs)); continue; }
            probes.Add(pass);
            // Even a probe whose every proposal is accepted does not pay here.
            planner.Observe(Pass(costs, length, accepted: length));
        }
        Assert.InRange(probes.Count, 1, 12);
        var gaps = probes.Zip(probes.Skip(1), (a, b) => b - a).ToList();
        Assert.True(gaps.SequenceEqual(gaps.Order()), $"probe gaps should not shrink: {string.Join(", ", gaps)}");
        Assert.True(planner.Outlook(8).Gain < 1);
    }

    [Fact]
    public void While_a_pair_cannot_win_most_requests_leave_the_draft_out()
    {
        var costs = Costs(perToken: 1, draft: 1);
        var planner = new DraftPlanner(costs, DraftPlanner.Prior);
        var taken = Enumerable.Range(0, 200).Where(_ => planner.TakesRequest(8)).ToList();
        // Probe requests only, ever rarer: after 4, 8, 16, then every 32 requests.
        Assert.InRange(taken.Count, 3, 10);
        Assert.True(planner.DraftLength(8) > 0, "a probe request drafts on its first pass");

        var paying = new DraftPlanner(Costs(perToken: 0.05, draft: 0.05), DraftPlanner.Prior);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.True(paying.TakesRequest(8)));
    }

    [Fact]
    public void Rejections_stop_the_draft_and_paying_probes_bring_it_back()
    {
        var costs = Costs(perToken: 0.1, draft: 0.15);
        var planner = new DraftPlanner(costs, DraftPlanner.Prior);
        Assert.True(planner.DraftLength(8) > 0, "a new pair gets its chance");

        // Code the draft cannot predict: it proposes, and its first proposal is rejected, pass after pass.
        var passes = 0;
        while (planner.DraftLength(8) is var length and > 0 && passes++ < 200)
            planner.Observe(Pass(costs, Math.Min(length, 2), accepted: 0, unsure: length > 2));
        Assert.True(passes < 200, "drafting should stop");
        Assert.True(planner.Outlook(8).Gain <= 1);

        // Predictable code again: every probe's proposals are all accepted, and drafting resumes.
        var drafting = false;
        for (var pass = 0; pass < 400 && !drafting; pass++)
        {
            var length = planner.DraftLength(8);
            if (length == 0) { planner.Observe(TargetOnly(costs)); continue; }
            planner.Observe(Pass(costs, length, accepted: length));
            drafting = planner.Outlook(8).Gain > 1;
        }
        Assert.True(drafting, $"odds after the probes: {planner.Odds}");
    }

    [Fact]
    public void Proposals_are_verified_only_when_their_expected_acceptance_pays_for_the_bigger_call()
    {
        Assert.True(SpeculationMath.WorthVerifying(Costs(perToken: 0.05, draft: 0.1), accepted: 0.8, proposals: 1));
        // Verifying one more token costs a whole target step: only certainty would pay, and 0.8 is not.
        Assert.False(SpeculationMath.WorthVerifying(Costs(perToken: 1, draft: 0.1), accepted: 0.8, proposals: 1));
        Assert.False(SpeculationMath.WorthVerifying(Costs(perToken: 0.05, draft: 0.1), accepted: 0.8, proposals: 0));
    }

    [Fact]
    public void Measured_calls_rescale_the_calibrated_costs_without_changing_their_shape()
    {
        var costs = Costs(perToken: 0.2, draft: 0.1);
        var planner = new DraftPlanner(costs, DraftPlanner.Prior);
        // The machine got twice as slow for both models.
        for (var i = 0; i < 100; i++)
            planner.Observe(new DraftPass(2, 2, 2, 2, 2, 2 * costs.Draft * 2, 3, costs.TargetCall(3) * 2));
        Assert.Equal(2 * costs.TargetStep, planner.Costs.TargetStep, 3);
        Assert.Equal(costs.DraftRatio, planner.Costs.DraftRatio, 3);
        Assert.Equal(costs.TargetCall(9) / costs.TargetStep, planner.Costs.TargetCall(9) / planner.Costs.TargetStep, 9);
    }

    [Fact]
    public void Costs_past_the_measured_batch_sizes_continue_the_last_slope()
    {
        var costs = new DecodeCosts([1.0, 1.5, 2.5], 0.1);
        Assert.Equal(3.5, costs.TargetCall(4), 9);
        Assert.Equal(1.0, costs.TargetCall(1), 9);
    }
}
