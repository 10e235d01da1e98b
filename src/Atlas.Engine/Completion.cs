namespace Atlas.Engine;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>The model produced an end-of-generation or FIM end token.</summary>
    EndOfGeneration,
    /// <summary>Single-line mode reached the end of the line.</summary>
    EndOfLine,
    /// <summary>The max-token limit was reached.</summary>
    MaxTokens,
    /// <summary>The time budget ran out.</summary>
    TimeBudget,
    /// <summary>The context window is full.</summary>
    ContextFull,
}

/// <summary>Where the time of one request went, and how much of the prompt the KV cache already held.</summary>
public sealed record CompletionTimings
{
    /// <summary>Prompt tokens found in the KV cache from the previous request and not decoded again.</summary>
    public int TokensReused { get; init; }
    /// <summary>Prompt tokens decoded for this request.</summary>
    public int TokensEvaluated { get; init; }
    public int PromptTokens => TokensReused + TokensEvaluated;
    public int TokensGenerated { get; init; }
    public double QueueMs { get; init; }
    public double PromptMs { get; init; }
    public double GenerationMs { get; init; }
    public double TokensPerSecond => GenerationMs > 0 ? TokensGenerated * 1000.0 / GenerationMs : 0;
    /// <summary>Tokens the draft model proposed (0 without a draft).</summary>
    public int Drafted { get; init; }
    /// <summary>Drafted tokens the target agreed with.</summary>
    public int DraftAccepted { get; init; }
    /// <summary>Forward passes of the target model during generation.</summary>
    public int TargetPasses { get; init; }
    public double AcceptanceRate => Drafted > 0 ? (double)DraftAccepted / Drafted : 0;
    public double TokensPerTargetPass => TargetPasses > 0 ? (double)TokensGenerated / TargetPasses : 0;

    public override string ToString() =>
        $"reused {TokensReused} evaluated {TokensEvaluated} tokens, prompt {PromptMs:F1} ms, " +
        $"generated {TokensGenerated} tokens in {GenerationMs:F1} ms ({TokensPerSecond:F1} tok/s), queued {QueueMs:F1} ms" +
        (Drafted > 0 ? $", drafted {Drafted} accepted {DraftAccepted} ({AcceptanceRate:P0}), {TokensPerTargetPass:F2} tokens/target pass" : "");
}

/// <summary>The engine's answer: the text to insert at the cursor, why it stopped, and its timings.</summary>
public sealed record Completion(string Text, StopReason StopReason, CompletionTimings Timings, IReadOnlyList<int> Tokens)
{
    /// <summary>How each token was decided, in order (one more than <see cref="Tokens"/> when a decided token was not emitted), when the request asked.</summary>
    public IReadOnlyList<Decoding.TokenDecision>? Decisions { get; init; }

    /// <summary>Where this candidate parts from the greedy answer (null: it is the greedy answer).</summary>
    public Decoding.CandidateBranch? Branch { get; init; }
}
