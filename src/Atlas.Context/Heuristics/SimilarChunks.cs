using Atlas.Context.Workspace;

namespace Atlas.Context.Heuristics;

/// <summary>
/// Chunks of other files that look like the code around the cursor: Jaccard similarity of identifier sets over
/// sliding windows of lines, as Copilot's neighbouring-tab snippets do. Cheap, language-agnostic, and good at
/// finding the sibling implementation the user is about to imitate.
/// </summary>
public static class SimilarChunks
{
    public const int WindowLines = 20;
    public const double MinimumSimilarity = 0.2;

    public static IReadOnlyList<(SourceFile File, string Chunk, double Similarity)> Find(string around, IEnumerable<SourceFile> candidates, int most)
    {
        var target = Words(around);
        if (target.Count == 0) return [];
        var best = new List<(SourceFile, string, double)>();
        foreach (var file in candidates)
        {
            var lines = file.Text.Split('\n');
            (string Chunk, double Score) top = ("", 0);
            for (var start = 0; start < lines.Length; start += WindowLines / 2)
            {
                var chunk = string.Join('\n', lines.Skip(start).Take(WindowLines));
                var score = Jaccard(target, Words(chunk));
                if (score > top.Score) top = (chunk, score);
            }
            if (top.Score >= MinimumSimilarity) best.Add((file, top.Chunk, top.Score));
        }
        return [.. best.OrderByDescending(b => b.Item3).Take(most)];
    }

    public static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
            if (isWord && start < 0) start = i;
            else if (!isWord && start >= 0)
            {
                if (i - start > 1) words.Add(text[start..i]);
                start = -1;
            }
        }
        return words;
    }

    private static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        var common = a.Count(b.Contains);
        return (double)common / (a.Count + b.Count - common);
    }
}
