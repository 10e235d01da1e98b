using System.Text.RegularExpressions;
using Atlas.Context.Workspace;

namespace Atlas.Context.Heuristics;

/// <summary>
/// The workspace files a file imports (import/from, import…from/require, #include "…", mod/use), resolved the way
/// each language resolves relative paths; and the outline of such a file: its declaration lines, not its bodies.
/// </summary>
public static partial class Imports
{
    public static IReadOnlyList<SourceFile> Resolve(SourceFile file, WorkspaceIndex index)
    {
        var folder = Path.GetDirectoryName(file.Path)!.Replace('\\', '/');
        var found = new List<SourceFile>();
        void Try(params string[] candidates)
        {
            foreach (var c in candidates)
            {
                if (index.Get(Path.GetFullPath(c).Replace('\\', '/')) is { } f && f.Path != file.Path && !found.Contains(f)) { found.Add(f); return; }
            }
        }

        switch (file.Language)
        {
            case "python":
                foreach (Match m in PythonImport().Matches(file.Text))
                {
                    var module = m.Groups["from"].Success ? m.Groups["from"].Value : m.Groups["import"].Value;
                    var dots = module.TakeWhile(c => c == '.').Count();
                    var relative = module[dots..].Replace('.', '/');
                    var bases = dots > 0
                        ? [Enumerable.Range(1, dots - 1).Aggregate(folder, (f, _) => Path.GetDirectoryName(f)!)]
                        : new[] { folder }.Concat(index.Roots);
                    foreach (var b in bases)
                    {
                        if (relative.Length > 0) Try($"{b}/{relative}.py", $"{b}/{relative}/__init__.py");
                        else if (m.Groups["names"].Success)
                            foreach (var name in m.Groups["names"].Value.Split(',')) Try($"{b}/{name.Trim().Split(' ')[0]}.py");
                    }
                }
                break;
            case "typescript" or "javascript" or "typescriptreact" or "javascriptreact":
                foreach (Match m in ScriptImport().Matches(file.Text))
                {
                    var spec = m.Groups["path"].Value;
                    if (!spec.StartsWith('.')) continue;
                    var b = $"{folder}/{spec}";
                    Try(b, b + ".ts", b + ".tsx", b + ".js", b + ".jsx", b + "/index.ts", b + "/index.js");
                }
                break;
            case "c" or "cpp":
                foreach (Match m in Include().Matches(file.Text)) Try($"{folder}/{m.Groups["path"].Value}");
                break;
            case "rust":
                foreach (Match m in RustMod().Matches(file.Text)) Try($"{folder}/{m.Groups["name"].Value}.rs", $"{folder}/{m.Groups["name"].Value}/mod.rs");
                break;
        }
        return found;
    }

    /// <summary>Declaration lines: what a reader of an imported file needs to call into it.</summary>
    public static string Outline(SourceFile file)
    {
        var pattern = file.Language switch
        {
            "python" => PythonDeclaration(),
            "typescript" or "javascript" or "typescriptreact" or "javascriptreact" => ScriptDeclaration(),
            "rust" => RustDeclaration(),
            _ => null,
        };
        if (pattern is null) return file.Text;
        var lines = file.Text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => pattern.IsMatch(l)).Select(l => l.TrimEnd().TrimEnd('{').TrimEnd());
        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"^\s*(?:from\s+(?<from>[.\w]+)\s+import\s+(?<names>[\w ,]+)|import\s+(?<import>[\w.]+))", RegexOptions.Multiline)]
    private static partial Regex PythonImport();

    [GeneratedRegex(@"(?:import\s[^'""]*?from\s*|import\s*\(?\s*|require\s*\(\s*)['""](?<path>[^'""]+)['""]")]
    private static partial Regex ScriptImport();

    [GeneratedRegex(@"^\s*#\s*include\s*""(?<path>[^""]+)""", RegexOptions.Multiline)]
    private static partial Regex Include();

    [GeneratedRegex(@"^\s*(?:pub\s+)?mod\s+(?<name>\w+)\s*;", RegexOptions.Multiline)]
    private static partial Regex RustMod();

    [GeneratedRegex(@"^\s*(?:async\s+def|def|class)\s+\w+")]
    private static partial Regex PythonDeclaration();

    [GeneratedRegex(@"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function|class|interface|type|enum|const|let)\s+\w+|^\s+(?:public\s+|private\s+|static\s+|async\s+)*\w+\s*\([^)]*\)\s*(?::\s*[^{]+)?\{?\s*$")]
    private static partial Regex ScriptDeclaration();

    [GeneratedRegex(@"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:fn|struct|enum|trait|type|impl|const)\s")]
    private static partial Regex RustDeclaration();
}
