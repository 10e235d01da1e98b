namespace Atlas.Completion.Filters;

/// <summary>What the filters read from one line of code: its indentation and whether it only closes blocks.</summary>
public static class CodeLine
{
    /// <summary>A tab counts as this many columns, so tab- and space-indented lines compare.</summary>
    private const int TabWidth = 4;

    public static bool IsBlank(string line) => string.IsNullOrWhiteSpace(line);

    /// <summary>Columns of leading whitespace.</summary>
    public static int Indentation(string line)
    {
        var columns = 0;
        foreach (var c in line)
        {
            if (c == ' ') columns++;
            else if (c == '\t') columns += TabWidth - columns % TabWidth;
            else break;
        }
        return columns;
    }

    /// <summary>
    /// A line that only ends blocks: closing brackets with at most a <c>;</c> or <c>,</c> after them (<c>}</c>,
    /// <c>});</c>, <c>];</c>), or a language's <c>end</c> keyword.
    /// </summary>
    public static bool IsClosing(string line)
    {
        var text = line.Trim();
        if (text.Length == 0) return false;
        if (text.TrimEnd(';', ',') is "end") return true;
        if (text[0] is not ('}' or ')' or ']')) return false;
        var closers = text.TrimEnd(';', ',');
        return closers.Length > 0 && closers.All(c => c is '}' or ')' or ']');
    }

    /// <summary>Opening minus closing brackets of each kind, in the order <c>( [ {</c>.</summary>
    public static (int Round, int Square, int Curly) Balance(string text)
    {
        var (round, square, curly) = (0, 0, 0);
        foreach (var c in text)
        {
            switch (c)
            {
                case '(': round++; break;
                case ')': round--; break;
                case '[': square++; break;
                case ']': square--; break;
                case '{': curly++; break;
                case '}': curly--; break;
            }
        }
        return (round, square, curly);
    }
}
