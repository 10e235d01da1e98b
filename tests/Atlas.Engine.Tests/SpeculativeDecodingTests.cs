using Atlas.TestModels;

namespace Atlas.Engine.Tests;

/// <summary>
/// Speculative decoding's invariant: with greedy decoding the output is token for token the target's own,
/// whatever the draft proposes. Checked as a property over many prompts and target/draft pairs that agree
/// always, often and rarely, and at the edges (stops inside an accepted run, cancellation, a full context).
/// </summary>
public sealed class SpeculativeDecodingTests
{
    private static readonly SyntheticModelSpec Target = new() { Seed = 11 };

    /// <summary>Drafts from always agreeing (the target itself) to rarely agreeing (heavy noise).</summary>
    public static TheoryData<string, float> Drafts => new()
    {
        { "the target itself", 0f },
        { "a lightly perturbed target", 0.05f },
        { "a heavily perturbed target", 1.0f },
    };

    private static readonly string[] Prompts =
    [
        "public static int Main(string[] args)\n{\n",
        "def parse(line):\n    ",
        "switch (code)\n{\n    case 200: return \"OK\";\n    case 201: return \"Created\";\n    case",
        "ELEMENTS = [\n    (\"H\", \"Hydrogen\", 1),\n    (\"He\", \"Helium\", 2),\n",
        "// 日本語のコメント 🎉\nconst x = ",
        "SELECT name, price FROM items WHERE",
        "for (int i = 0; i < n; i++) {\n",
        "#include <stdio.h>\nint main(void) {\n",
        "<html>\n  <body>\n",
        "fn main() {\n    let v: Vec<i32> = ",
        "import numpy as np\nx = np.",
        "class Stack<T> { private T[] items; public void Push(",
    ];

    private static string DraftFor(float noise) =>
        SyntheticModel.GetOrCreate(Target with { NoiseSeed = 99, NoiseScale = noise });

    private static Task<CompletionEngine> LoadPair(float noise, int draftMax = 8, int contextSize = 1024, bool adaptive = false, bool costCheck = false, float tieMargin = EngineSettings.DefaultTieMargin) =>
        CompletionEngine.LoadAsync(Models.Settings(SyntheticModel.GetOrCreate(Target), contextSize) with
        {
            DraftModelPath = DraftFor(noise),
            DraftMax = draftMax,
            DraftAdaptive = adaptive,
            // Draft whenever possible: the invariant must hold for every proposal, not just confident ones, and a
            // synthetic draft as big as its target would never pass the cost check.
            DraftMinProbability = 0f,
            DraftCostCheck = costCheck,
            // A draft that is the target must agree with it exactly: the same threads and cache, so the same kernels.
            DraftThreads = 2,
            DraftKvCache = KvCacheType.Q8_0,
            TieMargin = tieMargin,
        });

    [Theory]
    [MemberData(nameof(Drafts))]
    public async Task Greedy_output_is_identical_to_the_target_alone_for_every_prompt(string draft, float noise)
    {
        // No near-tie is decided again here, so a draft that is the target has every proposal accepted.
        using var engine = await LoadPair(noise, tieMargin: 0);
        Assert.True(engine.HasDraft, draft);
        var drafted = 0;
        var accepted = 0;
        foreach (var prefix in Prompts)
        {
            var request = new CompletionRequest { Prefix = prefix, Suffix = "\n}\n", MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) };
            var alone = await engine.CompleteAsync(request with { UseDraft = false });
            var speculative = await engine.CompleteAsync(request);

            Assert.Equal(alone.Tokens, speculative.Tokens);
            Assert.Equal(alone.Text, speculative.Text);
            Assert.Equal(alone.StopReason, speculative.StopReason);
            Assert.Equal(0, alone.Timings.Drafted);
            drafted += speculative.Timings.Drafted;
            accepted += speculative.Timings.DraftAccepted;
        }
        Assert.True(drafted > 0);
        if (noise == 0) Assert.Equal(drafted, accepted);
        if (noise >= 1) Assert.True(accepted < drafted, "a heavily perturbed draft should be rejected at least sometimes");
    }

    [Theory]
    [MemberData(nameof(Drafts))]
    public async Task Near_ties_decided_again_from_a_single_token_step_keep_the_output(string draft, float noise)
    {
        // A margin nothing is inside: every decision read from a batch is made again alone, which ends each pass at its
        // first row, so nothing drafted is ever accepted, and the output is still the target's alone.
        using var engine = await LoadPair(noise, tieMargin: float.PositiveInfinity);
        foreach (var prefix in Prompts.Take(6))
        {
            var request = new CompletionRequest { Prefix = prefix, Suffix = "\n}\n", MaxTokens = 30, TimeBudget = TimeSpan.FromMinutes(5) };
            var alone = await engine.CompleteAsync(request with { UseDraft = false });
            var speculative = await engine.CompleteAsync(request);
            Assert.Equal(alone.Tokens, speculative.Tokens);
            Assert.True(speculative.Timings.Drafted > 0, draft);
            Assert.Equal(0, speculative.Timings.DraftAccepted);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(16, false)]
    [InlineData(16, true)]  // the length adapts from pass to pass
    public async Task Any_draft_length_gives_the_same_output(int draftMax, bool adaptive)
    {
        using var engine = await LoadPair(0.05f, draftMax, adaptive: adaptive);
        foreach (var prefix in Prompts.Take(4))
        {
            var request = new CompletionRequest { Prefix = prefix, MaxTokens = 30, TimeBudget = TimeSpan.FromMinutes(5) };
            Assert.Equal((await engine.CompleteAsync(request with { UseDraft = false })).Tokens, (await engine.CompleteAsync(request)).Tokens);
        }
    }

    [Fact]
    public async Task An_adaptive_draft_drafts_less_after_rejections_and_changes_nothing_in_the_output()
    {
        using var fixedLength = await LoadPair(1.0f, draftMax: 8);
        using var adaptive = await LoadPair(1.0f, draftMax: 8, adaptive: true);
        var request = new CompletionRequest { Prefix = Prompts[0], MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) };
        var a = await fixedLength.CompleteAsync(request);
        var b = await adaptive.CompleteAsync(request);

        Assert.Equal(a.Tokens, b.Tokens);
        Assert.True(b.Timings.Drafted < a.Timings.Drafted, $"adaptive drafted {b.Timings.Drafted}, fixed {a.Timings.Drafted}");
    }

    [Theory]
    [MemberData(nameof(Drafts))]
    public async Task With_the_cost_check_on_passes_with_and_without_a_draft_give_the_target_alone_output(string draft, float noise)
    {
        // A synthetic draft costs as much as its target, so the planner soon stops drafting but for its first passes and
        // its probes: the output must not care which passes drafted.
        using var engine = await LoadPair(noise, costCheck: true);
        Assert.NotNull(engine.DraftCosts);
        foreach (var prefix in Prompts.Take(6))
        {
            var request = new CompletionRequest { Prefix = prefix, MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) };
            var alone = await engine.CompleteAsync(request with { UseDraft = false });
            var speculative = await engine.CompleteAsync(request);
            Assert.Equal(alone.Tokens, speculative.Tokens);
            Assert.Equal(alone.StopReason, speculative.StopReason);
            Assert.True(speculative.Timings.TargetPasses >= speculative.Tokens.Count - 1 - speculative.Timings.DraftAccepted, draft);
        }
        Assert.NotNull(engine.DraftOutlook);
    }

    [Fact]
    public async Task In_single_line_mode_the_draft_proposes_nothing_past_a_line_break()
    {
        // Random weights rarely emit a line break, so make one (as the generation tests do): the 4th token the target
        // generates is renamed to a text ending in "\n" in copies of both models, weights unchanged.
        var request = new CompletionRequest { Prefix = Prompts[0], MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) };
        int newline;
        using (var plain = await LoadPair(0f))
        {
            var tokens = (await plain.CompleteAsync(request with { UseDraft = false })).Tokens;
            newline = tokens[3];
            Assert.DoesNotContain(newline, tokens.Take(3));
        }
        var target = SyntheticModel.GetOrCreate(Target with { NewlineTokenId = newline });
        var draft = SyntheticModel.GetOrCreate(Target with { NewlineTokenId = newline, NoiseSeed = 99, NoiseScale = 0f });
        // No near-tie decided again either (random weights have many), so no pass ends before its draft does.
        using var engine = await CompletionEngine.LoadAsync(Models.Settings(target) with { DraftModelPath = draft, DraftMax = 8, DraftMinProbability = 0f, DraftCostCheck = false, DraftThreads = 2, DraftKvCache = KvCacheType.Q8_0, TieMargin = 0 });

        var alone = await engine.CompleteAsync(request with { SingleLine = true, UseDraft = false });
        var speculative = await engine.CompleteAsync(request with { SingleLine = true });

        Assert.Equal(StopReason.EndOfLine, alone.StopReason);
        Assert.Equal(alone.Text, speculative.Text);
        // The draft (the target itself) proposes the three tokens after the first and the line break, then stops:
        // without the rule it would go on to eight, all past the end of the answer.
        Assert.InRange(speculative.Timings.Drafted, 1, 3);
    }

    [Fact]
    public async Task The_draft_never_proposes_past_the_token_cap()
    {
        using var engine = await LoadPair(0f, draftMax: 16, tieMargin: 0);
        // The first token comes from the prompt; the other four at most from one draft.
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[0], MaxTokens = 5, TimeBudget = TimeSpan.FromMinutes(5) });
        Assert.InRange(completion.Timings.Drafted, 1, 4);
    }

    [Fact]
    public async Task A_draft_that_is_the_target_is_always_accepted_and_needs_fewer_target_passes()
    {
        using var engine = await LoadPair(0f, draftMax: 8, tieMargin: 0);
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[2], MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) });

        Assert.Equal(1.0, completion.Timings.AcceptanceRate);
        Assert.True(completion.Timings.TokensPerTargetPass > 2, $"{completion.Timings.TokensPerTargetPass} tokens per pass");
    }

    [Theory]
    [InlineData(7)]   // the cap falls inside an accepted run
    [InlineData(8)]
    [InlineData(9)]
    public async Task Max_tokens_inside_an_accepted_run_stops_exactly_there(int maxTokens)
    {
        using var engine = await LoadPair(0f, draftMax: 8);
        var request = new CompletionRequest { Prefix = Prompts[3], MaxTokens = maxTokens, TimeBudget = TimeSpan.FromMinutes(5) };
        var alone = await engine.CompleteAsync(request with { UseDraft = false });
        var speculative = await engine.CompleteAsync(request);
        Assert.Equal(alone.Tokens, speculative.Tokens);
        Assert.Equal(alone.StopReason, speculative.StopReason);
    }

    [Fact]
    public async Task Single_line_mode_stops_at_the_same_end_of_line()
    {
        using var engine = await LoadPair(0.05f);
        foreach (var prefix in Prompts)
        {
            var request = new CompletionRequest { Prefix = prefix, MaxTokens = 40, SingleLine = true, TimeBudget = TimeSpan.FromMinutes(5) };
            var alone = await engine.CompleteAsync(request with { UseDraft = false });
            var speculative = await engine.CompleteAsync(request);
            Assert.Equal(alone.Text, speculative.Text);
            Assert.Equal(alone.StopReason, speculative.StopReason);
        }
    }

    [Fact]
    public async Task End_of_generation_inside_a_draft_ends_the_answer_as_the_target_alone_would()
    {
        // Find the 6th token the target generates, then make that token the vocabulary's EOS in copies of both
        // models (same weights): the target now stops exactly there, in the middle of an accepted draft run.
        string eosTarget, eosDraft;
        var request = new CompletionRequest { Prefix = Prompts[2], MaxTokens = 40, TimeBudget = TimeSpan.FromMinutes(5) };
        using (var plain = await LoadPair(0f))
        {
            var tokens = (await plain.CompleteAsync(request with { UseDraft = false })).Tokens;
            var eos = tokens[5];
            Assert.DoesNotContain(eos, tokens.Take(5));
            eosTarget = SyntheticModel.GetOrCreate(Target with { EosTokenId = eos });
            eosDraft = SyntheticModel.GetOrCreate(Target with { EosTokenId = eos, NoiseSeed = 99, NoiseScale = 0f });
        }
        using var engine = await CompletionEngine.LoadAsync(Models.Settings(eosTarget) with { DraftModelPath = eosDraft, DraftMax = 8, DraftMinProbability = 0f, DraftCostCheck = false, DraftThreads = 2, DraftKvCache = KvCacheType.Q8_0 });
        Assert.True(engine.HasDraft);

        var alone = await engine.CompleteAsync(request with { UseDraft = false });
        var speculative = await engine.CompleteAsync(request);

        Assert.Equal(StopReason.EndOfGeneration, alone.StopReason);
        Assert.Equal(5, alone.Tokens.Count);
        Assert.Equal(alone.Tokens, speculative.Tokens);
        Assert.Equal(StopReason.EndOfGeneration, speculative.StopReason);
    }

    [Fact]
    public async Task Cancellation_mid_verification_stops_within_one_token_and_the_next_request_is_unharmed()
    {
        using var engine = await LoadPair(0f, draftMax: 8);
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var request = new CompletionRequest
        {
            Prefix = Prompts[0], MaxTokens = 100, TimeBudget = TimeSpan.FromMinutes(5),
            // Token 5 arrives inside an accepted run of 8: the rest of the run must not be reported.
            OnToken = (count, _) => { seen = count; if (count == 5) cancel.Cancel(); },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.CompleteAsync(request, cancel.Token));
        Assert.Equal(5, seen);

        var plain = new CompletionRequest { Prefix = Prompts[0], MaxTokens = 20, TimeBudget = TimeSpan.FromMinutes(5) };
        Assert.Equal((await engine.CompleteAsync(plain with { UseDraft = false })).Tokens, (await engine.CompleteAsync(plain)).Tokens);
    }

    [Fact]
    public async Task A_nearly_full_context_clips_the_draft_and_output_stays_identical()
    {
        using var engine = await LoadPair(0f, draftMax: 16, contextSize: 128);
        var request = new CompletionRequest { Prefix = string.Concat(Enumerable.Repeat(Prompts[2], 8)), MaxTokens = 120, TimeBudget = TimeSpan.FromMinutes(5) };
        var alone = await engine.CompleteAsync(request with { UseDraft = false });
        var speculative = await engine.CompleteAsync(request);

        Assert.Equal(alone.Tokens, speculative.Tokens);
        Assert.Equal(alone.StopReason, speculative.StopReason);
        // llama.cpp may round the context up; what counts is the size the engine really has.
        Assert.True(engine.BuildPrompt(request).Truncated);
        Assert.True(engine.BuildPrompt(request).Tokens.Count + request.MaxTokens <= engine.Info.ContextSize);
        Assert.True(engine.BuildPrompt(request).Tokens.Count + speculative.Tokens.Count <= engine.Info.ContextSize);
    }

    [Fact]
    public async Task Sampling_decodes_with_the_target_alone()
    {
        using var engine = await LoadPair(0f);
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = Prompts[0], MaxTokens = 10, Temperature = 0.8f, Seed = 4, TimeBudget = TimeSpan.FromMinutes(5) });
        Assert.Equal(0, completion.Timings.Drafted);
        Assert.Equal(completion.Tokens.Count, completion.Timings.TargetPasses + (completion.StopReason == StopReason.EndOfGeneration ? 0 : 1));
    }

    [Fact]
    public async Task A_draft_with_another_vocabulary_is_refused_and_the_target_serves_alone()
    {
        var target = SyntheticModel.GetOrCreate(Target with { Fim = FimTokens.Qwen });
        var draft = SyntheticModel.GetOrCreate(Target with { Fim = FimTokens.StarCoder });
        using var engine = await CompletionEngine.LoadAsync(Models.Settings(target) with { DraftModelPath = draft });

        Assert.False(engine.HasDraft);
        Assert.Contains("vocabulary", engine.DraftProblem);
        Assert.Contains(draft, engine.DraftProblem);
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = "int x = ", MaxTokens = 4 });
        Assert.NotEmpty(completion.Tokens);
        Assert.Equal(0, completion.Timings.Drafted);
    }

    [Fact]
    public async Task A_missing_draft_file_is_reported_and_the_target_serves_alone()
    {
        using var engine = await CompletionEngine.LoadAsync(Models.Settings(Models.Tiny) with { DraftModelPath = "/nonexistent/draft.gguf" });
        Assert.False(engine.HasDraft);
        Assert.Contains("/nonexistent/draft.gguf", engine.DraftProblem);
        Assert.NotEmpty((await engine.CompleteAsync(new CompletionRequest { Prefix = "x", MaxTokens = 2 })).Tokens);
    }
}
