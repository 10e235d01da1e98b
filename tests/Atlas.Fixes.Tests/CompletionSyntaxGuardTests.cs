using Atlas.Fixes.Verification;

namespace Atlas.Fixes.Tests;

/// <summary>Inline C# suggestions never leave the file with more syntax errors than it had.</summary>
public sealed class CompletionSyntaxGuardTests
{
    private const string Code = "class C\n{\n    int M(int x)\n    {\n        return \n    }\n}\n";
    private static readonly int Cursor = Code.IndexOf("return ", StringComparison.Ordinal) + "return ".Length;

    [Fact]
    public void A_clean_suggestion_is_kept_whole()
    {
        var tree = CompletionSyntaxGuard.Parse(Code);
        Assert.Equal("x * 2;", CompletionSyntaxGuard.Clean(tree, Cursor, 0, "x * 2;"));
    }

    [Fact]
    public void A_suggestion_whose_later_lines_break_the_file_is_cut_to_its_clean_lines()
    {
        var tree = CompletionSyntaxGuard.Parse(Code);
        Assert.Equal("x * 2;", CompletionSyntaxGuard.Clean(tree, Cursor, 0, "x * 2;\n    }\n    int N( {{"));
    }

    [Fact]
    public void A_suggestion_that_breaks_the_file_on_its_first_line_is_dropped()
    {
        var tree = CompletionSyntaxGuard.Parse(Code);
        Assert.Null(CompletionSyntaxGuard.Clean(tree, Cursor, 0, "x ) ) ] class {"));
    }

    [Fact]
    public void A_suggestion_that_replaces_the_rest_of_the_line_is_checked_as_that_replacement()
    {
        // "M(x|)" + "x, 1));" replacing ")" is clean; inserted before ")" it would leave "))" and break the line.
        var code = Code.Replace("return \n", "return M(x)\n");
        var cursor = code.IndexOf("M(x", StringComparison.Ordinal) + 3;
        var tree = CompletionSyntaxGuard.Parse(code);
        Assert.Equal(", 1);", CompletionSyntaxGuard.Clean(tree, cursor, 1, ", 1);"));
        Assert.Null(CompletionSyntaxGuard.Clean(tree, cursor, 0, ", 1);"));
    }

    [Fact]
    public void The_servers_check_follows_the_document_through_edits_and_passes_other_languages_unchanged()
    {
        var guard = new CompletionSyntaxGuard();
        var uri = "file:///work/C.cs";
        Assert.Equal("x * 2;", guard.Check(new Documents.TextDocument(uri, "csharp", 1, Code), Cursor, 0, "x * 2;", default));

        // After edits the kept tree is reparsed incrementally; it must judge exactly as a fresh parse does.
        var edited = Code.Replace("return \n", "var y = x;\n        return \n");
        var cursor = edited.IndexOf("return ", StringComparison.Ordinal) + "return ".Length;
        foreach (var suggestion in new[] { "y * 2;", "y ) ] {", "y;\n    }\n    int N( {{" })
            Assert.Equal(CompletionSyntaxGuard.Clean(CompletionSyntaxGuard.Parse(edited), cursor, 0, suggestion),
                guard.Check(new Documents.TextDocument(uri, "csharp", 2, edited), cursor, 0, suggestion, default));

        Assert.Equal("x ) ] {", guard.Check(new Documents.TextDocument("file:///work/c.py", "python", 1, "x = "), 4, 0, "x ) ] {", default));
    }
}
