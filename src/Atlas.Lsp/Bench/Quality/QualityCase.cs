using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Lsp.Cli;

namespace Atlas.Lsp.Bench.Quality;

/// <summary>One file of a case's repository: its path relative to the repository (with '/'), and its text.</summary>
internal sealed record CaseFile(string Path, string Text);

/// <summary>
/// One next-line completion case: a repository, a file and a cursor in it, and what the repository has after the
/// cursor on that line. Read from a JSON-lines file (../shared/eval's format) or made from a user's own repository.
/// </summary>
internal sealed record QualityCase(string Id, string Repo, IReadOnlyList<CaseFile> Files, string File, int Line, int Character, string Expected, string Kind)
{
    /// <summary>The case's file with the rest of the cursor's line deleted, as the editor holds it when it asks.</summary>
    public string CutText()
    {
        var text = Files.First(f => f.Path == File).Text;
        var start = LineStart(text, Line);
        var cursor = start + Character;
        var end = text.IndexOf('\n', cursor) is var n and >= 0 ? n : text.Length;
        if (end > cursor && text[end - 1] == '\r') end--;
        return text[..cursor] + text[end..];
    }

    /// <summary>Text before the cursor and after it (from the next line on) in <see cref="CutText"/>.</summary>
    public (string Prefix, string Suffix) Around()
    {
        var text = CutText();
        var cursor = LineStart(text, Line) + Character;
        return (text[..cursor], text[cursor..]);
    }

    /// <summary>
    /// What the repository's file has from the cursor on: <see cref="Expected"/> and the lines after it, which a
    /// multi-line suggestion is right to write.
    /// </summary>
    public string Truth()
    {
        var text = Files.First(f => f.Path == File).Text;
        return text[(LineStart(text, Line) + Character)..].Replace("\r\n", "\n");
    }

    internal static int LineStart(string text, int line)
    {
        var offset = 0;
        for (var i = 0; i < line; i++)
        {
            offset = text.IndexOf('\n', offset) + 1;
            if (offset == 0) throw new FormatException($"The text has fewer than {line + 1} lines.");
        }
        return offset;
    }
}

/// <summary>Reads case files.</summary>
internal static class QualityCases
{
    private static bool FitsItsFile(QualityCase item)
    {
        var text = item.Files.First(f => f.Path == item.File).Text;
        var lines = text.Split('\n');
        return item.Line < lines.Length && item.Character <= lines[item.Line].TrimEnd('\r').Length;
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    /// <summary>Every case of a JSON-lines file, in file order; a malformed line is a one-line error naming its number.</summary>
    public static List<QualityCase> Load(string path)
    {
        if (!System.IO.File.Exists(path)) throw new UserError($"Cases file not found: '{path}'.");
        var cases = new List<QualityCase>();
        var number = 0;
        foreach (var line in System.IO.File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            QualityCase? read;
            try
            {
                read = JsonSerializer.Deserialize<QualityCase>(line, Json);
            }
            catch (JsonException e)
            {
                throw new UserError($"{path}:{number}: not a case ({e.Message}).");
            }
            if (read is null || read.Files is null || read.File is null || read.Expected is null || !read.Files.Any(f => f.Path == read.File))
                throw new UserError($"{path}:{number}: a case needs files, file (one of the files), line, character and expected.");
            if (read.Line < 0 || read.Character < 0 || !FitsItsFile(read))
                throw new UserError($"{path}:{number}: line {read.Line}, character {read.Character} is not in {read.File}.");
            cases.Add(read with { Kind = string.IsNullOrEmpty(read.Kind) ? "case" : read.Kind, Id = read.Id ?? $"{path}:{number}" });
        }
        return cases;
    }
}
