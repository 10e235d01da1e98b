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
}
