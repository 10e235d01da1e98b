using Microsoft.CodeAnalysis.Text;

namespace Atlas.Context.CSharp;

/// <summary>
/// The one edit that turns a text into another: the span between their common prefix and common suffix. That is
/// all a keystroke, or a run of them in one place, changes; handed to Roslyn as a change of the old
/// <see cref="SourceText"/>, it lets the parser reuse everything outside it.
/// </summary>
public static class TextDifference
{
    public static TextChange Between(string before, string after)
    {
        var prefix = before.AsSpan().CommonPrefixLength(after);
        var suffix = 0;
        var most = Math.Min(before.Length, after.Length) - prefix;
        while (suffix < most && before[^(suffix + 1)] == after[^(suffix + 1)]) suffix++;
        return new TextChange(TextSpan.FromBounds(prefix, before.Length - suffix), after[prefix..(after.Length - suffix)]);
    }

    /// <summary><paramref name="after"/> as a change of <paramref name="before"/>'s source text, so Roslyn reparses incrementally.</summary>
    public static SourceText Edited(SourceText before, string beforeText, string after) =>
        before.WithChanges(Between(beforeText, after));
}
