using System.Text.RegularExpressions;

namespace Atlas.Context.Workspace;

/// <summary>
/// The .gitignore patterns that apply under one folder: `#` comments, `!` negation, `/` anchoring, a trailing `/`
/// for folders only, and `*`, `?`, `**` globs. The last matching pattern wins, as in git. (No .gitignore matcher is
/// on our package feed; this is the subset real repositories use.)
/// </summary>
public sealed class IgnoreRules
{
    private readonly List<(Regex Pattern, bool Negated, bool FoldersOnly)> _rules = [];

    /// <summary>Folders no repository wants indexed: version control, dependencies, build outputs.</summary>
    public static readonly IReadOnlySet<string> AlwaysSkipped = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".git", ".hg", ".svn", "node_modules", "bin", "obj", "dist", "build", "target", "out", ".vs", ".idea", "__pycache__", ".venv", "venv", ".tox", ".gradle",
    };

    public static IgnoreRules Parse(string text)
    {
        var rules = new IgnoreRules();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').TrimEnd();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var negated = line.StartsWith('!');
            if (negated) line = line[1..];
            var foldersOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            var anchored = line.Contains('/');
            line = line.TrimStart('/');
            if (line.Length == 0) continue;
            var regex = "^" + (anchored ? "" : "(?:.*/)?") + Glob(line) + "$";
            rules._rules.Add((new Regex(regex, RegexOptions.CultureInvariant), negated, foldersOnly));
        }
        return rules;
    }

    /// <summary>Whether a path relative to the rules' folder (with '/' separators) is ignored; null when no rule speaks.</summary>
    public bool? IsIgnored(string relativePath, bool isFolder)
    {
        bool? verdict = null;
        foreach (var (pattern, negated, foldersOnly) in _rules)
        {
            if (foldersOnly && !isFolder) continue;
            if (pattern.IsMatch(relativePath)) verdict = !negated;
        }
        return verdict;
    }

    private static string Glob(string pattern)
    {
        var regex = new System.Text.StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/') { i++; regex.Append("(?:.*/)?"); }
                else regex.Append(".*");
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.ToString();
    }
}
