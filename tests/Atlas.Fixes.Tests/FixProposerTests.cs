using Atlas.Documents;
using Atlas.Engine;
using Atlas.Fixes.Prompts;
using Atlas.Fixes.Targets;
using Atlas.TestModels;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Fixes.Tests;

/// <summary>"Fix this" end to end below the protocol: candidates from a seam or the real model, verified or not.</summary>
public sealed class FixProposerTests
{
    private sealed class FixedCandidates(params string[] texts) : IFixCandidates
    {
        public int Asked { get; private set; }

        public Task<string> CandidateAsync(TextDocument document, FixTarget target, IReadOnlyList<FixDiagnostic> problems, int index, CancellationToken cancellationToken)
        {
            Asked++;
            return Task.FromResult(texts[index % texts.Length]);
        }
    }

    private static readonly TextDocument Document = Samples.Document(Samples.Broken);
    private static readonly TextRange At = Samples.RangeOf(Document, "value * 2", "value * 2".Length, 0);
    private static readonly FixDiagnostic[] Problem = [new(At, "; expected", "CS1002")];

    [Fact]
    public async Task The_first_candidate_that_verifies_becomes_a_versioned_edit_of_exactly_the_target()
    {
        var candidates = new FixedCandidates("        var result = value * 3", "        var result = valu * 2;", "        var result = value * 2;");
        var outcome = await new FixProposer(candidates, new FixSettings(), NullLogger.Instance).ProposeAsync(Document, Problem, At, null, CancellationToken.None);

        Assert.True(outcome.HasEdit);
        Assert.True(outcome.Verified);
        Assert.Equal(3, outcome.Version);
        Assert.Equal("        var result = value * 2;", outcome.NewText);
        Assert.Equal(new TextRange(new TextPosition(6, 0), new TextPosition(6, 30)), outcome.Range);
        Assert.Equal(3, outcome.CandidateLog.Count);
        Assert.Contains("targeted problem still present", outcome.CandidateLog[0]);
        Assert.Contains("new error: CS0103", outcome.CandidateLog[1]);
    }

    [Fact]
    public async Task When_no_candidate_verifies_there_is_no_edit_but_a_clear_message()
    {
        var candidates = new FixedCandidates("        var result = value * 3");
        var outcome = await new FixProposer(candidates, new FixSettings { Candidates = 2 }, NullLogger.Instance).ProposeAsync(Document, Problem, At, null, CancellationToken.None);

        Assert.False(outcome.HasEdit);
        Assert.StartsWith("No verified fix found", outcome.Summary);
        Assert.Equal(2, candidates.Asked);
    }

    [Fact]
    public async Task Other_languages_get_the_first_new_candidate_unverified()
    {
        var python = Samples.Document("def f(x):\n    return x +\n", "f.py", "python");
        var at = Samples.RangeOf(python, "x +");
        var outcome = await new FixProposer(new FixedCandidates("    return x +", "    return x + 1"), new FixSettings(), NullLogger.Instance)
            .ProposeAsync(python, [new(at, "invalid syntax")], at, null, CancellationToken.None);

        Assert.True(outcome.HasEdit);
        Assert.False(outcome.Verified);
        Assert.Equal("    return x + 1", outcome.NewText);
    }

    [Fact]
    public async Task Cancellation_stops_the_search()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new FixProposer(new FixedCandidates("x"), new FixSettings(), NullLogger.Instance).ProposeAsync(Document, Problem, At, null, cancel.Token));
    }

    [Fact]
    public void The_prompt_names_the_problem_and_quotes_the_code_in_the_files_comment_syntax()
    {
        var target = FixTarget.For(Document, At);
        var request = FixPrompt.Build(Document, target, Problem, 0, new FixSettings());
        Assert.EndsWith("        // The code that was here had this problem:\n        //   CS1002: ; expected\n        // It read:\n        //   var result = value * 2\n        // Corrected code:\n        ", request.Prefix);
        Assert.StartsWith("\n        return result;", request.Suffix);
        Assert.Equal(0, request.Temperature);
        Assert.True(FixPrompt.Build(Document, target, Problem, 1, new FixSettings()).Temperature > 0);

        var python = Samples.Document("def f(x):\n    return x +\n", "f.py", "python");
        Assert.Contains("    # It read:", FixPrompt.Build(python, FixTarget.For(python, Samples.RangeOf(python, "x +")), Problem, 0, new FixSettings()).Prefix);
    }

    [Fact]
    public void A_replacement_that_runs_on_into_the_following_code_is_cut_there()
    {
        var target = FixTarget.For(Document, At);
        var generated = "var result = value * 2;\n        return result;\n    }";
        Assert.Equal("        var result = value * 2;", FixPrompt.Replacement(target, generated, Document.Text[target.End..]));
    }

    [Fact]
    public async Task With_the_real_model_every_candidate_is_generated_checked_and_logged()
    {
        using var engine = await CompletionEngine.LoadAsync(new EngineSettings { ModelPath = SharedModels.Find(SharedModels.TinyLlama), ContextSize = 2048 });
        var settings = new FixSettings { Candidates = 2, MaxTokens = 24 };
        var outcome = await new FixProposer(new ModelFixCandidates(engine, settings), settings, NullLogger.Instance).ProposeAsync(Document, Problem, At, null, CancellationToken.None);

        // The random model's rewrite may or may not compile; either way the outcome is consistent and logged.
        Assert.InRange(outcome.CandidateLog.Count, 1, 2);
        Assert.Equal(outcome.HasEdit, outcome.Verified);
        if (!outcome.HasEdit) Assert.StartsWith("No verified fix found", outcome.Summary);
    }
}
