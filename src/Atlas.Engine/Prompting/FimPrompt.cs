using System.Text;
using Atlas.Engine.Loading;
using LLama.Native;

namespace Atlas.Engine.Prompting;

/// <summary>
/// A prompt ready for the model: the token sequence the engine decodes, and the same prompt as readable text.
/// Prefix, suffix and context are tokenized as plain text, so marker look-alikes typed in user code never become
/// control tokens.
/// </summary>
public sealed record FimPrompt(IReadOnlyList<int> Tokens, string Rendered, FimFamily Family, int PrefixTokens, int SuffixTokens, int ContextFiles, bool Truncated)
{
    /// <summary>
    /// Prefix tokens are cut away in steps of this many (at most a quarter of the room), so the prompt's start stays
    /// put while the user types.
    /// </summary>
    public const int TruncationStep = 256;

    /// <summary>Lays out prefix and suffix alone (no repository context).</summary>
    public static FimPrompt Build(LoadedModel model, string prefix, string suffix, int maxTokens) =>
        Build(model, new CompletionRequest { Prefix = prefix, Suffix = suffix }, maxTokens);

    /// <summary>
    /// Lays the request out in the model's FIM format within <paramref name="maxTokens"/>. Repository context goes
    /// first: in the family's repository format (Qwen2.5-Coder's `&lt;|repo_name|&gt;`, `&lt;|file_sep|&gt;` sections)
    /// when the vocabulary has those markers, else as commented sections at the top of the prefix. When the pieces
    /// do not fit, context files are dropped from the least relevant end first; then the suffix keeps at most a
    /// quarter of the room (more if the prefix is short) and both are cut away from the cursor: the prefix loses its
    /// oldest tokens, the suffix its last ones. Line-aware budgeting is the context builder's job; this is the
    /// engine's guarantee that a prompt never overflows the context.
    /// </summary>
    public static FimPrompt Build(LoadedModel model, CompletionRequest request, int maxTokens)
    {
        var template = model.Template;
        var repoMarkers = template.RepositoryMarkers is { } markers && model.SpecialToken(markers.RepoName) is { } repoToken && model.SpecialToken(markers.FileSeparator) is { } sepToken
            ? (Repo: repoToken, Separator: sepToken)
            : ((int Repo, int Separator)?)null;
        var usesSuffix = template.Layout.Any(p => p.Slot == FimTemplate.Slot.Suffix);

        // Context sections, tokenized once each, in relevance order.
        var sections = new List<(int[] Tokens, string Text)>();
        foreach (var file in request.Context)
        {
            var text = repoMarkers is not null
                ? $"{file.Path}\n{file.Text.TrimEnd()}\n"
                : Commented(file, request.CommentMarker);
            sections.Add((Ids(model.Tokenize(text)), text));
        }
        var header = repoMarkers is not null && request.Context.Count > 0
            ? Ids(model.Tokenize($"{request.RepositoryName ?? "repository"}\n"))
            : [];
        var currentFile = repoMarkers is not null && request.Context.Count > 0
            ? Ids(model.Tokenize($"{request.FilePath ?? "current"}\n"))
            : [];

        var prefixTokens = Ids(model.Tokenize(request.Prefix));
        var suffixTokens = usesSuffix ? Ids(model.Tokenize(request.Suffix)) : [];
        var markerCount = template.Layout.Count(p => p.Slot == FimTemplate.Slot.Marker) + (model.Bos is null ? 0 : 1);
        var room = Math.Max(0, maxTokens - markerCount);

        // Context is the first thing to go.
        var keptSections = sections.Count;
        int ContextCost(int n) => n == 0 ? 0 : repoMarkers is not null
            ? 1 + header.Length + sections.Take(n).Sum(s => s.Tokens.Length + 1) + 1 + currentFile.Length
            : sections.Take(n).Sum(s => s.Tokens.Length);
        while (keptSections > 0 && ContextCost(keptSections) + prefixTokens.Length + suffixTokens.Length > room) keptSections--;
        room -= ContextCost(keptSections);

        var truncated = keptSections < sections.Count || prefixTokens.Length + suffixTokens.Length > room;
        var keepSuffix = suffixTokens.Length;
        var keepPrefix = prefixTokens.Length;
        if (prefixTokens.Length + suffixTokens.Length > room)
        {
            keepSuffix = Math.Min(suffixTokens.Length, Math.Max(room / 4, room - prefixTokens.Length));
            keepPrefix = Math.Min(prefixTokens.Length, room - keepSuffix);
            // Drop whole steps of the oldest prefix tokens: a cut that moved with every keystroke would change the
            // prompt's first tokens each time and leave nothing of the KV cache to reuse.
            var step = Math.Clamp(room / 4, 1, TruncationStep);
            var drop = prefixTokens.Length - keepPrefix;
            drop = Math.Min(prefixTokens.Length, (drop + step - 1) / step * step);
            keepPrefix = prefixTokens.Length - drop;
        }
        var keptPrefix = prefixTokens.AsSpan(prefixTokens.Length - keepPrefix);
        var keptSuffix = suffixTokens.AsSpan(0, keepSuffix);

        var tokens = new List<int>(maxTokens);
        var rendered = new StringBuilder();
        if (model.Bos is { } bos) tokens.Add(bos);
        if (keptSections > 0 && repoMarkers is { } repo)
        {
            tokens.Add(repo.Repo);
            tokens.AddRange(header);
            rendered.Append(FimTemplate.DisplayMarker(template.RepositoryMarkers!.Value.RepoName)).Append(request.RepositoryName ?? "repository").Append('\n');
            foreach (var (sectionTokens, text) in sections.Take(keptSections))
            {
                tokens.Add(repo.Separator);
                tokens.AddRange(sectionTokens);
                rendered.Append(template.RepositoryMarkers!.Value.FileSeparator).Append(text);
            }
            tokens.Add(repo.Separator);
            tokens.AddRange(currentFile);
            rendered.Append(template.RepositoryMarkers!.Value.FileSeparator).Append(request.FilePath ?? "current").Append('\n');
        }
        var commentedContext = repoMarkers is null ? string.Concat(sections.Take(keptSections).Select(s => s.Text)) : "";
        var contextPrefixTokens = repoMarkers is null ? sections.Take(keptSections).SelectMany(s => s.Tokens).ToArray() : [];

        var prefixText = keepPrefix == prefixTokens.Length ? request.Prefix : model.Detokenize(keptPrefix.ToArray());
        var suffixText = keepSuffix == suffixTokens.Length ? (usesSuffix ? request.Suffix : "") : model.Detokenize(keptSuffix.ToArray());
        foreach (var piece in template.Layout)
        {
            switch (piece.Slot)
            {
                case FimTemplate.Slot.Prefix:
                    tokens.AddRange(contextPrefixTokens);
                    tokens.AddRange(keptPrefix.ToArray());
                    rendered.Append(commentedContext).Append(prefixText);
                    break;
                case FimTemplate.Slot.Suffix:
                    tokens.AddRange(keptSuffix.ToArray());
                    rendered.Append(suffixText);
                    break;
                default:
                    tokens.Add(model.SpecialToken(piece.Marker!) ?? throw new InvalidOperationException($"Marker {piece.Marker} vanished from the vocabulary."));
                    rendered.Append(FimTemplate.DisplayMarker(piece.Marker!));
                    break;
            }
        }
        return new FimPrompt(tokens, rendered.ToString(), template.Family, keepPrefix, keepSuffix, keptSections, truncated);
    }

    /// <summary>A context file as comment lines: how models without repository markers are shown other files.</summary>
    private static string Commented(ContextFile file, string marker)
    {
        var text = new StringBuilder();
        text.Append(marker).Append(" Path: ").Append(file.Path).Append('\n');
        foreach (var line in file.Text.TrimEnd().Split('\n'))
            text.Append(marker).Append(' ').Append(line.TrimEnd('\r')).Append('\n');
        return text.ToString();
    }

    private static int[] Ids(LLamaToken[] tokens) => Array.ConvertAll(tokens, t => (int)t);
}
