namespace Atlas.Lsp.Cli;

/// <summary>Plain-text tables for the command line: each column as wide as its widest cell, so long entries never push the rest out of line.</summary>
internal static class Table
{
    public static string Format(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IReadOnlySet<int>? rightAligned = null)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => all.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        return string.Join('\n', all.Select(row => string.Join("  ", row.Select((cell, c) =>
            c == row.Count - 1 && rightAligned?.Contains(c) != true ? cell
            : rightAligned?.Contains(c) == true ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c])))));
    }
}
