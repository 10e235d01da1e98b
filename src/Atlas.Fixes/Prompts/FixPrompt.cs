using System.Text;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Fixes.Targets;

namespace Atlas.Fixes.Prompts;

/// <summary>
/// A fix as fill-in-the-middle: the code to rewrite is taken out, and in its place the prefix ends with a comment
/// (in the file's own comment syntax) that names the problems and quotes the broken code. The model writes the
/// middle, which becomes the replacement. Base code models follow such comments well and need no instruct format.
/// </summary>
public static class FixPrompt
{
    public static CompletionRequest Build(TextDocument document, FixTarget target, IReadOnlyList<FixDiagnostic> problems, int candidate, FixSettings settings)
    {
        var comment = LineComment(document);
        var indent = Indentation(target.Original);
        var note = new StringBuilder();
        note.Append(indent).Append(comment).Append(" The code that was here had ").Append(problems.Count == 1 ? "this problem" : "these problems").Append(":\n");
        foreach (var problem in problems)
            note.Append(indent).Append(comment).Append("   ").Append(problem.ToString().ReplaceLineEndings(" ")).Append('\n');
        note.Append(indent).Append(comment).Append(" It read:\n");
        foreach (var line in target.Original.Split('\n'))
            note.Append(indent).Append(comment).Append("   ").Append(line.TrimEnd('\r').TrimStart()).Append('\n');
        note.Append(indent).Append(comment).Append(" Corrected code:\n").Append(indent);

        return new CompletionRequest
        {
            Prefix = document.Text[..target.Start] + note,
            Suffix = document.Text[target.End..],
            MaxTokens = settings.MaxTokens,
            TimeBudget = settings.TimeBudget,
            // The first candidate is the model's best guess; the others explore.
            Temperature = candidate == 0 ? 0 : settings.Temperature,
            Seed = candidate,
        };
    }

    /// <summary>The replacement text for the target's range: the generated middle at the target's indentation.</summary>
    public static string Replacement(FixTarget target, string generated, string suffix)
    {
        var text = generated;
        // A model that runs on past its middle repeats what follows: cut where the suffix's next line starts.
        var next = suffix.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (next is { Length: > 3 })
        {
            var at = text.IndexOf(next, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return Indentation(target.Original) + text.TrimEnd();
    }

    /// <summary>The line-comment marker of the document's language.</summary>
    public static string LineComment(TextDocument document) =>
        SourceLanguage.LineComment(SourceLanguage.Of(document.Uri, document.LanguageId));

    private static string Indentation(string text)
    {
        var i = 0;
        while (i < text.Length && (text[i] == ' ' || text[i] == '\t')) i++;
        return text[..i];
    }
}
