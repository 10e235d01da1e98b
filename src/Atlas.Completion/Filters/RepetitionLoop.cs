namespace Atlas.Completion.Filters;

/// <summary>
/// A suggestion that ends in a loop keeps one copy of what loops (Tabby's removeRepetitiveLines/Blocks). With greedy
/// decoding a model that has written the same line or block twice in a row has nothing to make it stop, and goes on
/// until its token cap: a tail of copies up to the end, the last one often cut off mid-line, is that loop. Repeats
/// followed by other code are left alone: code does repeat lines on purpose (two <c>AppendLine();</c> calls).
/// </summary>
public static class RepetitionLoop
{
    /// <summary>Longest block, in lines, looked for as a loop: longer repeats are rare and cost a scan each.</summary>
    private const int MaxBlockLines = 8;

    /// <returns>The suggestion up to the end of the first copy of the loop it ends in, or as it was.</returns>
    public static string Drop(string text)
    {
        var lines = text.Split('\n');
        var keys = lines.Select(l => l.Trim()).ToArray();
        var cut = lines.Length;
        for (var block = 1; block <= MaxBlockLines && 2 * block <= lines.Length; block++)
        {
            if (LoopStart(keys, block) is { } start && start < cut) cut = start;
        }
        return cut == lines.Length ? text : string.Join('\n', lines[..cut]).TrimEnd();
    }

    /// <summary>
    /// Where the second copy starts when the text ends in copies of a <paramref name="block"/>-line block (lines
    /// compared without their indentation; the last may be cut short), or null. A single line must come three
    /// times, and a block must have a word or number in it: closing braces come in runs in any code.
    /// </summary>
    private static int? LoopStart(string[] keys, int block)
    {
        var last = keys.Length - 1;
        var j = last;
        if (keys[j] != keys[j - block] && keys[j].Length > 0 && keys[j - block].StartsWith(keys[j], StringComparison.Ordinal)) j--;
        while (j - block >= 0 && keys[j] == keys[j - block]) j--;
        var repeated = last - j;
        if (repeated < (block == 1 ? 2 : block)) return null;
        var firstCopy = keys[(j + 1 - block)..(j + 1)];
        return firstCopy.Any(k => k.Any(char.IsLetterOrDigit)) ? j + 1 : null;
    }
}
