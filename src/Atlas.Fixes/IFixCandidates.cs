using Atlas.Context;
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

/// <summary>
/// Candidates written by the completion engine from a <see cref="FixPrompt"/>, with the repository context the
/// prompt source finds at the target (the declarations the broken code uses, for C#).
/// </summary>
public sealed class ModelFixCandidates(CompletionEngine engine, FixSettings settings, IPromptSource? repository = null) : IFixCandidates
{
    public async Task<string> CandidateAsync(TextDocument document, FixTarget target, IReadOnlyList<FixDiagnostic> problems, int index, CancellationToken cancellationToken)
    {
        var request = FixPrompt.Build(document, target, problems, index, settings);
        if (repository is not null)
        {
            var pieces = await repository.BuildAsync(document, target.End, cancellationToken);
            request = request with { Context = pieces.Context, FilePath = pieces.FilePath, RepositoryName = pieces.RepositoryName, CommentMarker = pieces.CommentMarker };
        }
        var completion = await engine.CompleteAsync(request, cancellationToken);
        return FixPrompt.Replacement(target, completion.Text, request.Suffix);
    }
}
