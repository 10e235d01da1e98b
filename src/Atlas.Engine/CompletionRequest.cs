namespace Atlas.Engine;

/// <summary>A piece of the repository the model should see before the code being completed.</summary>
public sealed record ContextFile(string Path, string Text);

/// <summary>What to complete: the text before and after the cursor, and the limits on the answer.</summary>
public sealed record CompletionRequest
{
    /// <summary>Default cap on generated tokens.</summary>
    public const int DefaultMaxTokens = 128;

    /// <summary>Default time budget for generation (prompt evaluation not included), as llama.vim's t_max_predict_ms.</summary>
    public static readonly TimeSpan DefaultTimeBudget = TimeSpan.FromMilliseconds(1500);

    public required string Prefix { get; init; }
    public string Suffix { get; init; } = "";

    /// <summary>
    /// Declarations and snippets from elsewhere in the repository, most relevant first. Laid out in the family's
    /// repository format when it has one, else as commented sections before the prefix; dropped from the end first
    /// when the prompt does not fit.
    /// </summary>
    public IReadOnlyList<ContextFile> Context { get; init; } = [];

    /// <summary>The path of the file being completed, relative to the repository (shown to the model with the context).</summary>
    public string? FilePath { get; init; }

    /// <summary>The repository's name, for families whose repository format starts with one.</summary>
    public string? RepositoryName { get; init; }

    /// <summary>The line-comment marker of the file's language, for commented context sections.</summary>
    public string CommentMarker { get; init; } = "//";

    /// <summary>Stop after this many generated tokens.</summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>Stop generating once this much time has passed since the first generated token was sampled.</summary>
    public TimeSpan TimeBudget { get; init; } = DefaultTimeBudget;

    /// <summary>Stop at the end of the first line (the answer never contains a newline, unless <see cref="MayStartOnNextLine"/>).</summary>
    public bool SingleLine { get; init; }

    /// <summary>
    /// With <see cref="SingleLine"/>, at the end of a line of code: the answer may be the next line (line breaks before
    /// its code are kept, and it stops at the end of that line). The suggestion after an accepted one is usually this.
    /// </summary>
    public bool MayStartOnNextLine { get; init; }

    /// <summary>
    /// Requests with the same key supersede each other: a new one cancels the older one still queued or running
    /// (the server uses the document URI, so a keystroke cancels the completion for the previous keystroke).
    /// </summary>
    public string? SupersedeKey { get; init; }

    /// <summary>
    /// Called on the engine's thread after each generated token with the count so far and the text so far:
    /// for streaming partial results, and for tests that need to act at an exact token.
    /// </summary>
    public Action<int, string>? OnToken { get; init; }

    /// <summary>
    /// 0 (default): greedy, reproducible, and eligible for speculative decoding. Above 0: seeded top-k sampling at
    /// this temperature, for callers that want several different candidates.
    /// </summary>
    public float Temperature { get; init; }

    /// <summary>Seeds sampling when <see cref="Temperature"/> is above 0, so a candidate can be reproduced.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Record how each greedy token was decided (<see cref="Completion.Decisions"/>): for benchmarks that look for where
    /// two decodings part. Off by default.
    /// </summary>
    public bool RecordDecisions { get; init; }

    /// <summary>
    /// The words the answer may begin with (null: any). Greedy requests are held to them until the first word is
    /// decided; the draft model joins in after that.
    /// </summary>
    public StartWords? StartWords { get; init; }

    /// <summary>Let the draft model speculate when one is loaded (default). Off: the target decodes alone (benchmarks compare both).</summary>
    public bool UseDraft { get; init; } = true;
}
