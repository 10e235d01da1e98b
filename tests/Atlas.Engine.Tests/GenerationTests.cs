using Atlas.TestModels;

namespace Atlas.Engine.Tests;

/// <summary>Stop rules, UTF-8 output, cancellation and queueing, on the real tiny model.</summary>
public sealed class GenerationTests(TinyEngineFixture fixture) : IClassFixture<TinyEngineFixture>
{
    private readonly CompletionEngine _engine = fixture.Engine;

    private static readonly string[] Prompts =
    [
        "public static int Main(string[] args)\n{\n",
        "def parse(line):\n    ",
        "// 日本語のコメント 🎉\nconst x = ",
        "SELECT name, price FROM items WHERE",
        "<html>\n  <body>\n",
        "for (int i = 0; i < n; i++) {\n",
    ];

    [Fact]
    public async Task Max_tokens_caps_the_answer()
    {
        var completion = await _engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[0], MaxTokens = 5, TimeBudget = TimeSpan.FromMinutes(1) });
        if (completion.StopReason == StopReason.EndOfGeneration)
            Assert.True(completion.Tokens.Count < 5);
        else
            Assert.Equal((StopReason.MaxTokens, 5), (completion.StopReason, completion.Tokens.Count));
    }

    [Fact]
    public async Task A_spent_time_budget_stops_after_one_token()
    {
        var completion = await _engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[1], MaxTokens = 50, TimeBudget = TimeSpan.Zero });
        Assert.Equal(StopReason.TimeBudget, completion.StopReason);
        Assert.Single(completion.Tokens);
    }

    [Fact]
    public async Task Single_line_mode_stops_where_the_multi_line_answer_breaks_its_first_line()
    {
        // Random weights rarely emit a line break, so make one: the token the model generates 4th is renamed to
        // a text ending in "\n" (weights unchanged, so the greedy tokens are the same).
        var spec = new SyntheticModelSpec { Seed = 3 };
        var request = new CompletionRequest { Prefix = Prompts[0], MaxTokens = 24, TimeBudget = TimeSpan.FromMinutes(1) };
        int newlineToken;
        using (var plain = await Models.LoadAsync(SyntheticModel.GetOrCreate(spec)))
        {
            var tokens = (await plain.CompleteAsync(request)).Tokens;
            newlineToken = tokens[3];
            Assert.DoesNotContain(newlineToken, tokens.Take(3));
        }
        using var engine = await Models.LoadAsync(SyntheticModel.GetOrCreate(spec with { NewlineTokenId = newlineToken }));

        var multi = await engine.CompleteAsync(request);
        var single = await engine.CompleteAsync(request with { SingleLine = true });

        var newline = multi.Text.IndexOf('\n');
        Assert.True(newline > 0, multi.Text);
        Assert.True(multi.Tokens.Count > 4);
        Assert.Equal(StopReason.EndOfLine, single.StopReason);
        Assert.Equal(multi.Text[..newline], single.Text);
        Assert.Equal(4, single.Tokens.Count);
    }

    [Fact]
    public async Task Text_is_the_exact_utf8_decoding_of_the_generated_tokens()
    {
        foreach (var prefix in Prompts)
        {
            var completion = await _engine.CompleteAsync(new CompletionRequest { Prefix = prefix, MaxTokens = 32, TimeBudget = TimeSpan.FromMinutes(1) });
            var whole = DecodeAll(completion.Tokens);
            Assert.Equal(whole, completion.Text);
        }
    }

    [Fact]
    public async Task Multi_byte_characters_split_across_tokens_come_out_whole()
    {
        // Llama-2's tokenizer has no token for 🎉: it falls back to one token per UTF-8 byte.
        var tokens = _engine.Model.Tokenize("🎉 日本").Select(t => (int)t).ToArray();
        Assert.True(tokens.Length > 3);
        Assert.Equal(" 🎉 日本", DecodeAll(tokens));
    }

    [Fact]
    public async Task Cancellation_stops_within_one_token_and_leaves_the_engine_usable()
    {
        var prefix = Prompts[3];
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var request = new CompletionRequest
        {
            Prefix = prefix, MaxTokens = 200, TimeBudget = TimeSpan.FromMinutes(1),
            OnToken = (count, _) => { seen = count; if (count == 3) cancel.Cancel(); },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.CompleteAsync(request, cancel.Token));
        Assert.Equal(3, seen);

        var after = await _engine.CompleteAsync(new CompletionRequest { Prefix = prefix, MaxTokens = 8 });
        await _engine.ForgetCacheAsync();
        var cold = await _engine.CompleteAsync(new CompletionRequest { Prefix = prefix, MaxTokens = 8 });
        Assert.Equal(cold.Tokens, after.Tokens);
    }

    [Fact]
    public async Task A_newer_request_with_the_same_key_supersedes_the_older()
    {
        Task<Completion>? newer = null;
        var older = new CompletionRequest
        {
            Prefix = Prompts[0], MaxTokens = 200, TimeBudget = TimeSpan.FromMinutes(1), SupersedeKey = "file:///a.cs",
            // The newer request arrives while the older one is generating.
            OnToken = (count, _) => { if (count == 2) newer = _engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[1], MaxTokens = 4, SupersedeKey = "file:///a.cs" }); },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.CompleteAsync(older));
        Assert.NotNull(newer);
        var answer = await newer!;
        Assert.InRange(answer.Tokens.Count, 1, 4);
    }

    [Fact]
    public async Task Concurrent_callers_are_served_one_at_a_time_with_the_answers_they_would_get_alone()
    {
        var requests = Prompts.Select(p => new CompletionRequest { Prefix = p, MaxTokens = 12, TimeBudget = TimeSpan.FromMinutes(1) }).ToArray();
        var alone = new List<IReadOnlyList<int>>();
        foreach (var r in requests) alone.Add((await _engine.CompleteAsync(r)).Tokens);

        var together = await Task.WhenAll(requests.Select(r => Task.Run(() => _engine.CompleteAsync(r))));

        Assert.Equal(alone, together.Select(c => c.Tokens));
    }

    [Fact]
    public async Task Sampling_is_reproducible_per_seed_and_varies_across_seeds()
    {
        var request = new CompletionRequest { Prefix = Prompts[5], MaxTokens = 12, TimeBudget = TimeSpan.FromMinutes(1), Temperature = 1.5f };
        var first = await _engine.CompleteAsync(request with { Seed = 1 });
        var again = await _engine.CompleteAsync(request with { Seed = 1 });
        var others = new List<IReadOnlyList<int>>();
        for (var seed = 2; seed < 6; seed++) others.Add((await _engine.CompleteAsync(request with { Seed = seed })).Tokens);
        var greedy = await _engine.CompleteAsync(request with { Temperature = 0 });

        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Contains(others, o => !o.SequenceEqual(first.Tokens));
        Assert.Contains(others.Append(first.Tokens), o => !o.SequenceEqual(greedy.Tokens));
    }

    private string DecodeAll(IReadOnlyList<int> tokens) => _engine.Model.Detokenize(tokens);
}
