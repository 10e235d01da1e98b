namespace Atlas.Engine.Tests;

/// <summary>
/// Several candidates for one request: the greedy answer first, then answers that part from it at its least certain
/// tokens, each decoding only from its own token on.
/// </summary>
public sealed class CandidateTests(TinyEngineFixture fixture) : IClassFixture<TinyEngineFixture>
{
    private readonly CompletionEngine _engine = fixture.Engine;

    private static readonly CompletionRequest Request = new()
    {
        Prefix = "public static int Main(string[] args)\n{\n    var total = ",
        Suffix = "\n}\n",
        MaxTokens = 12,
        TimeBudget = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task The_first_candidate_is_the_greedy_answer_and_the_others_part_from_it_at_one_token()
    {
        await _engine.ForgetCacheAsync();
        var greedy = await _engine.CompleteAsync(Request);
        await _engine.ForgetCacheAsync();
        var candidates = await _engine.CompleteCandidatesAsync(Request, 3);

        Assert.Equal(3, candidates.Count);
        Assert.Equal(greedy.Text, candidates[0].Text);
        Assert.Equal(greedy.Tokens, candidates[0].Tokens);
        Assert.Null(candidates[0].Branch);
        Assert.Equal(candidates.Count, candidates.Select(c => c.Text.TrimEnd()).Distinct().Count());
        foreach (var candidate in candidates.Skip(1))
        {
            var branch = candidate.Branch!;
            Assert.Equal(greedy.Tokens.Take(branch.Position), candidate.Tokens.Take(branch.Position));
            // The runner-up is a stop token when the branch ends the answer there.
            if (candidate.Tokens.Count > branch.Position) Assert.Equal(branch.Token, candidate.Tokens[branch.Position]);
            if (branch.Position < greedy.Tokens.Count) Assert.NotEqual(greedy.Tokens[branch.Position], branch.Token);
        }
        // With no line break in the greedy answer, the branches come in the order of how close their runner-up came.
        Assert.DoesNotContain('\n', greedy.Text);
        var gaps = candidates.Skip(1).Select(c => c.Branch!.Gap).ToList();
        Assert.Equal(gaps.Order(), gaps);
    }

    [Fact]
    public async Task Each_branch_decodes_only_from_its_own_token_the_prompt_and_the_greedy_start_stay_cached()
    {
        var prompt = _engine.BuildPrompt(Request).Tokens.Count;
        await _engine.ForgetCacheAsync();
        var candidates = await _engine.CompleteCandidatesAsync(Request, 3);

        Assert.Equal(prompt, candidates[0].Timings.TokensEvaluated);
        Assert.True(candidates.Count > 1);
        foreach (var candidate in candidates.Skip(1))
        {
            var position = candidate.Branch!.Position;
            Assert.Equal(prompt + position + 1, candidate.Timings.PromptTokens);
            Assert.InRange(candidate.Timings.TokensEvaluated, 1, 2);
        }
    }

    [Fact]
    public async Task One_candidate_is_the_greedy_answer_alone()
    {
        var greedy = await _engine.CompleteAsync(Request);
        var one = Assert.Single(await _engine.CompleteCandidatesAsync(Request, 1));
        Assert.Equal(greedy.Tokens, one.Tokens);
    }

    [Fact]
    public async Task Candidates_the_caller_would_show_alike_count_once()
    {
        // A caller that shows only the first character: the greedy answer and any branch that keeps it show alike.
        var candidates = await _engine.CompleteCandidatesAsync(Request, 3, shownAs: text => text.Length > 0 ? text[..1] : null);
        Assert.Equal(candidates.Count, candidates.Select(c => c.Text.Length > 0 ? c.Text[..1] : "").Distinct().Count());
        Assert.All(candidates.Skip(1), c => Assert.Equal(0, c.Branch!.Position));
    }

    [Fact]
    public async Task Cancellation_between_branches_ends_the_request()
    {
        using var cancel = new CancellationTokenSource();
        var shown = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.CompleteCandidatesAsync(Request, 3, text =>
        {
            // Called for the greedy answer, then for each branch: cancel after the first branch.
            if (++shown == 2) cancel.Cancel();
            return text;
        }, cancel.Token));
        Assert.Equal(2, shown);
    }
}
