namespace Atlas.Completion;

/// <summary>Whether a completion may span lines: decided from the cursor's surroundings, or forced by a setting.</summary>
public enum LineMode { Auto, SingleLine, MultiLine }

public static class LineModes
{
    public static LineMode Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => LineMode.Auto,
        "single" or "single-line" or "singleline" => LineMode.SingleLine,
        "multi" or "multi-line" or "multiline" => LineMode.MultiLine,
        _ => throw new ArgumentException($"Unknown completion mode '{value}': use auto, single or multi."),
    };

    /// <summary>
    /// Auto: multi-line on an empty line or right after an opening brace, bracket or colon (a block is starting);
    /// single-line inside a line, where the user is finishing an expression.
    /// </summary>
    public static bool IsSingleLine(LineMode mode, ReadOnlySpan<char> lineBeforeCursor, ReadOnlySpan<char> lineAfterCursor) => mode switch
    {
        LineMode.SingleLine => true,
        LineMode.MultiLine => false,
        _ => !(lineAfterCursor.Trim().IsEmpty && (lineBeforeCursor.Trim().IsEmpty || lineBeforeCursor.TrimEnd() is [.., '{' or '(' or '[' or ':'])),
    };

    /// <summary>
    /// Whether a single-line answer may be the next line: at the end of a line of code that looks finished (it ends
    /// with <c>;</c>, a closing bracket, a comma or a quote), the one line worth suggesting is the next one — what
    /// follows an accepted line. Inside a line, or after a dot or an operator, the answer continues this line.
    /// </summary>
    public static bool MayStartOnNextLine(bool singleLine, ReadOnlySpan<char> lineBeforeCursor, ReadOnlySpan<char> lineAfterCursor) =>
        singleLine && lineAfterCursor.Trim().IsEmpty && lineBeforeCursor.TrimEnd() is [.., ';' or '}' or ')' or ']' or ',' or '"' or '\''];
}
