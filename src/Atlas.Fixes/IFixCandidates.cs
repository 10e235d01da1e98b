using Atlas.Documents;
using Atlas.Engine;
using Atlas.Fixes.Prompts;
using Atlas.Fixes.Targets;

namespace Atlas.Fixes;

/// <summary>Where fix candidates come from: the model in the server, fixed texts in tests.</summary>
public interface IFixCandidates
{
    /// <summary>The replacement text of candidate number <paramref name="index"/> for the target.</summary>
    Task<string> CandidateAsync(TextDocument document, FixTarget target, IReadOnlyList<FixDiagnostic> problems, int index, CancellationToken cancellationToken);
}

/// <summary>Candidates written by the completion engine from a <see cref="FixPrompt"/>.</summary>
public sealed class ModelFixCandidates(CompletionEngine engine, FixSettings settings) : IFixCandidates
{
    public async Task<string> CandidateAsync(TextDocument document, FixTarget target, IReadOnlyList<FixDiagnostic> problems, int index, CancellationToken cancellationToken)
    {
        var request = FixPrompt.Build(document, target, problems, index, settings);
        var completion = await engine.CompleteAsync(request, cancellationToken);
        return FixPrompt.Replacement(target, completion.Text, request.Suffix);
    }
}
