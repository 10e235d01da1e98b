using Atlas.Documents;

using Atlas.Context;

namespace Atlas.Completion.Tests;

public sealed class LineModeTests
{
    [Theory]
    [InlineData("    if (ready) {", "", false)]
    [InlineData("def parse(line):", "", false)]
    [InlineData("    ", "", false)]
    [InlineData("    var x = Compute(", "", false)]
    [InlineData("    var total = val", "", true)]
    [InlineData("    Call(", ");", true)]
    public void Auto_is_multi_line_where_a_block_starts_and_single_line_inside_a_line(string before, string after, bool single) =>
        Assert.Equal(single, LineModes.IsSingleLine(LineMode.Auto, before, after));

    [Fact]
    public void A_forced_mode_wins()
    {
        Assert.True(LineModes.IsSingleLine(LineMode.SingleLine, "{", ""));
        Assert.False(LineModes.IsSingleLine(LineMode.MultiLine, "var x = ", "y;"));
        Assert.Throws<ArgumentException>(() => LineModes.Parse("sideways"));
    }

    [Theory]
    [InlineData("    total += item.Price;", "", true)]
    [InlineData("    }", "  ", true)]
    [InlineData("    if (ready)", "", true)]
    [InlineData("    var name = \"atlas\"", "", true)]
    [InlineData("    var total = order.", "", false)]
    [InlineData("    var total = val", "", false)]
    [InlineData("    Call(x);", " // why", false)]
    [InlineData("    ", "", false)]
    public void A_single_line_answer_may_be_the_next_line_only_at_the_end_of_a_finished_line(string before, string after, bool nextLine)
    {
        Assert.Equal(nextLine, LineModes.MayStartOnNextLine(true, before, after));
        Assert.False(LineModes.MayStartOnNextLine(false, before, after));
    }
}

public sealed class SuggestionCleanerTests
{
    [Theory]
    [InlineData("Count();   ", "", "", "Count();")]
    [InlineData("a, b)", ")", "", "a, b")]
    [InlineData("value);", ");", "", "value")]
    [InlineData("   \n  ", "", "", null)]
    [InlineData("x + 1;\n    return x;\n}", "", "\n    return x;\n}\n", "x + 1;")]
    [InlineData("items[0]", "]", "", "items[0")]
    public void Cleans_what_the_model_wrote(string suggestion, string lineAfter, string suffix, string? expected) =>
        Assert.Equal(expected, SuggestionCleaner.Clean(suggestion, lineAfter, suffix));

    [Theory]
    [InlineData("a, b);", ")", 1)]          // the closer the editor inserted is part of the suggestion: replace it
    [InlineData("a, b);", ")  ", 3)]        // with the trailing blanks of the line
    [InlineData("x], y[1]);", "]);", 3)]
    [InlineData("a, b", ")", 0)]            // nothing of the rest in it: insert before it
    [InlineData("x + 1;", "", 0)]
    [InlineData("a;\n)", ")", 0)]           // only the first line stands on the cursor's line
    [InlineData("b) + c", ") + d", 0)]      // "d" is not in it: the rest of the line stays
    public void A_suggestion_that_contains_the_rest_of_the_line_replaces_it(string suggestion, string lineAfter, int replaced) =>
        Assert.Equal(replaced, SuggestionCleaner.ReplacedLength(suggestion, lineAfter));
}

public sealed class SuggestionCacheTests
{
    private static TextDocument Doc(string text) => new("file:///a.cs", "csharp", 1, text);

    [Fact]
    public void Typing_the_suggestion_leaves_its_remainder_and_a_different_keystroke_does_not()
    {
        var cache = new SuggestionCache();
        cache.Remember(Doc("var x = "), 8, "Compute(1);");

        Assert.Equal("pute(1);", cache.Remainder(Doc("var x = Com"), 11)?.Text);
        Assert.Null(cache.Remainder(Doc("var x = Cat"), 11));
        Assert.Null(cache.Remainder(Doc("var y = Com"), 11));
        Assert.Null(cache.Remainder(Doc("var x = Compute(1);"), 19));
    }

    [Fact]
    public void Forgetting_a_document_drops_its_entries()
    {
        var cache = new SuggestionCache();
        cache.Remember(Doc("a"), 1, "bc");
        cache.Forget("file:///a.cs");
        Assert.Null(cache.Remainder(Doc("ab"), 2));
    }
}

public sealed class PromptWindowTests
{
    [Fact]
    public void The_window_is_bounded_and_cut_at_line_boundaries()
    {
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i:D4} of the file\n"));
        var document = new TextDocument("file:///big.txt", "plaintext", 1, text);
        var cursor = text.IndexOf("line 0500", StringComparison.Ordinal);
        var pieces = new PromptWindow(maxPrefixChars: 100, maxSuffixChars: 60).Build(document, cursor);

        Assert.True(pieces.Prefix.Length <= 100);
        Assert.True(pieces.Suffix.Length <= 60);
        Assert.StartsWith("line ", pieces.Prefix);
        Assert.EndsWith("\n", pieces.Suffix);
        Assert.EndsWith("line 0499 of the file\n", pieces.Prefix);
    }

    [Fact]
    public void Typing_moves_only_the_end_of_the_prefix_not_its_start()
    {
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i:D4} of the file\n"));
        var window = new PromptWindow();
        var cursor = text.IndexOf("line 1500", StringComparison.Ordinal);
        var starts = new HashSet<string>();
        for (var typed = 0; typed < 200; typed++)
        {
            var document = new TextDocument("file:///big.txt", "plaintext", typed, text.Insert(cursor, new string('x', typed)));
            var pieces = window.Build(document, cursor + typed);
            starts.Add(pieces.Prefix[..40]);
        }
        // 200 keystrokes cross at most one grid line, so the prompt's start changes at most once.
        Assert.InRange(starts.Count, 1, 2);
    }
}
