using System.Diagnostics;
using Atlas.Documents;
using Atlas.Fixes.Targets;
using Atlas.Fixes.Verification;
using Microsoft.Extensions.Logging;

namespace Atlas.Fixes;

/// <summary>The outcome of "fix this": an edit to apply, or why there is none.</summary>
public sealed record FixOutcome(string Uri, int Version, TextRange? Range, string? NewText, bool Verified, string Summary, IReadOnlyList<string> CandidateLog)
{
    public bool HasEdit => Range is not null && NewText is not null;
}

/// <summary>
/// Runs "fix this" for one document: picks the target around the problems, asks for up to K candidates, and for
/// C# keeps the first that compiles clean of the targeted problem with no new error. Other languages get the
/// first non-trivial candidate, marked unverified. Every candidate's fate is logged.
/// </summary>
public sealed class FixProposer(IFixCandidates candidates, FixSettings settings, ILogger logger)
{
    /// <param name="roslyn">The document in the repository's Roslyn workspace when there is one; standalone otherwise.</param>
    public async Task<FixOutcome> ProposeAsync(TextDocument document, IReadOnlyList<FixDiagnostic> problems, TextRange range, Microsoft.CodeAnalysis.Document? roslyn, CancellationToken cancellationToken)
    {
        var target = FixTarget.For(document, range);
        var csharp = FixTarget.IsCSharp(document);
        if (csharp) roslyn ??= CSharpDocuments.Standalone(document);
        var baseline = csharp ? await CSharpFixVerifier.BaselineAsync(roslyn!, target, cancellationToken) : [];
        var log = new List<string>();
        var replaced = new TextRange(document.PositionAt(target.Start), document.PositionAt(target.End));

        for (var i = 0; i < Math.Max(1, settings.Candidates); i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var candidate = await candidates.CandidateAsync(document, target, problems, i, cancellationToken);
            var generatedMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            VerificationResult result;
            if (csharp)
                result = await CSharpFixVerifier.VerifyAsync(roslyn!, baseline, target, candidate, problems, cancellationToken);
            else if (string.IsNullOrWhiteSpace(candidate) || candidate.Trim() == target.Original.Trim())
                result = VerificationResult.Failed("empty or unchanged");
            else
                result = new VerificationResult(true, "unverified: no checker for this language");
            var entry = $"candidate {i + 1}/{settings.Candidates} ({target.Kind}, generated in {generatedMs:F0} ms, checked in {clock.Elapsed.TotalMilliseconds:F1} ms): {result.Check}";
            log.Add(entry);
            logger.LogInformation("Fix {Uri} v{Version}: {Entry}", document.Uri, document.Version, entry);
            if (result.Accepted)
                return new FixOutcome(document.Uri, document.Version, replaced, candidate, csharp, result.Check, log);
        }
        return new FixOutcome(document.Uri, document.Version, null, null, false,
            csharp ? $"No verified fix found: {settings.Candidates} candidate(s) tried, none compiled clean." : "No fix found: the model proposed nothing new.", log);
    }
}
