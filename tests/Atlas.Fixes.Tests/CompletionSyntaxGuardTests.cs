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
        Assert.Equal("x * 2;", CompletionSyntaxGuard.Clean(tree, Cursor, "x * 2;"));
    }

    [Fact]
    public void A_suggestion_whose_later_lines_break_the_file_is_cut_to_its_clean_lines()
    {
        var tree = CompletionSyntaxGuard.Parse(Code);
        Assert.Equal("x * 2;", CompletionSyntaxGuard.Clean(tree, Cursor, "x * 2;\n    }\n    int N( {{"));
    }

    [Fact]
    public void A_suggestion_that_breaks_the_file_on_its_first_line_is_dropped()
    {
        var tree = CompletionSyntaxGuard.Parse(Code);
        Assert.Null(CompletionSyntaxGuard.Clean(tree, Cursor, "x ) ) ] class {"));
    }
}
