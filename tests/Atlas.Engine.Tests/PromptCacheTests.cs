namespace Atlas.Engine.Tests;

/// <summary>The KV cache is reused across requests: only what follows the common token prefix is decoded.</summary>
public sealed class PromptCacheTests(TinyEngineFixture fixture) : IClassFixture<TinyEngineFixture>
{
    private readonly CompletionEngine _engine = fixture.Engine;

    private static readonly string Code = string.Join('\n', Enumerable.Range(0, 40).Select(i => $"    int value{i} = compute({i}) + offset;"));

    [Fact]
    public async Task Typing_one_character_evaluates_only_the_changed_tail()
    {
        var first = new CompletionRequest { Prefix = Code + "\n    var total = val", Suffix = "\n}\n", MaxTokens = 4 };
        var second = first with { Prefix = first.Prefix + "u" };
        var before = _engine.BuildPrompt(first).Tokens;
        var after = _engine.BuildPrompt(second).Tokens;

        await _engine.ForgetCacheAsync();
        await _engine.CompleteAsync(first);
        var warm = await _engine.CompleteAsync(second);

        var common = CommonPrefix(before, after);
        Assert.True(common > after.Count / 2, "the edit should leave most of the prompt in common");
        Assert.Equal(common, warm.Timings.TokensReused);
        Assert.Equal(after.Count - common, warm.Timings.TokensEvaluated);
    }

    [Fact]
    public async Task A_warm_answer_is_identical_to_a_cold_one()
    {
        var first = new CompletionRequest { Prefix = Code + "\n    var sum = ", Suffix = "", MaxTokens = 24 };
        var second = first with { Prefix = first.Prefix + "value3" };

        await _engine.ForgetCacheAsync();
        await _engine.CompleteAsync(first);
        var warm = await _engine.CompleteAsync(second);
        await _engine.ForgetCacheAsync();
        var cold = await _engine.CompleteAsync(second);

        Assert.True(warm.Timings.TokensReused > 0);
        Assert.Equal(0, cold.Timings.TokensReused);
        Assert.Equal(cold.Tokens, warm.Tokens);
        Assert.Equal(cold.Text, warm.Text);
    }

    [Fact]
    public async Task Repeating_a_request_decodes_only_its_last_token()
    {
        var request = new CompletionRequest { Prefix = Code, MaxTokens = 2 };
        await _engine.CompleteAsync(request);
        var again = await _engine.CompleteAsync(request);

        Assert.Equal(1, again.Timings.TokensEvaluated);
        Assert.Equal(_engine.BuildPrompt(request).Tokens.Count - 1, again.Timings.TokensReused);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_cut_to_fit_nearest_the_cursor_kept()
    {
        using var small = await Models.LoadAsync(Models.Tiny, contextSize: 256);
        var longPrefix = string.Concat(Enumerable.Repeat(Code + "\n", 10)) + "    return MARKER";
        var request = new CompletionRequest { Prefix = longPrefix, Suffix = "\n}\n", MaxTokens = 16 };

        var prompt = small.BuildPrompt(request);
        var completion = await small.CompleteAsync(request);

        Assert.True(prompt.Truncated);
        Assert.True(prompt.Tokens.Count <= 256 - 16);
        Assert.EndsWith("return MARKER", prompt.Rendered);
        Assert.InRange(completion.Timings.TokensGenerated, 1, 16);
    }

    [Fact]
    public async Task Typing_at_the_end_of_a_prompt_too_long_for_the_context_still_reuses_the_cache()
    {
        using var small = await Models.LoadAsync(Models.Tiny, contextSize: 512);
        var prefix = string.Concat(Enumerable.Repeat(Code + "\n", 6)) + "    var next = ";
        await small.CompleteAsync(new CompletionRequest { Prefix = prefix, MaxTokens = 4 });
        var evaluated = new List<int>();
        foreach (var c in "value1 + offset")
        {
            prefix += c;
            var completion = await small.CompleteAsync(new CompletionRequest { Prefix = prefix, MaxTokens = 4 });
            Assert.True(small.BuildPrompt(new CompletionRequest { Prefix = prefix, MaxTokens = 4 }).Truncated);
            evaluated.Add(completion.Timings.TokensEvaluated);
        }
        // Most keystrokes decode a token or two; only a keystroke that crosses a truncation step re-decodes the prompt.
        Assert.True(evaluated.Count(n => n <= 4) >= evaluated.Count - 2, string.Join(",", evaluated));
    }

    private static int CommonPrefix(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var n = 0;
        while (n < a.Count && n < b.Count && a[n] == b[n]) n++;
        return n;
    }
}
