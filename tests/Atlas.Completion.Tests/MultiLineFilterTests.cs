using Atlas.Completion.Filters;

namespace Atlas.Completion.Tests;

/// <summary>Where the cursor is: a C# file with a '|' at the cursor.</summary>
internal static class Cursor
{
    public static CursorSurroundings In(string file)
    {
        var at = file.IndexOf('|');
        return CursorSurroundings.Around(file[..at], file[(at + 1)..]);
    }
}

public sealed class IndentationScopeTests
{
    private const string MethodBody = """
        class Ledger
        {
            public decimal Total(IEnumerable<Entry> entries)
            {
                var total = 0m;
                |
                return total;
            }
        }
        """;

    [Fact]
    public void A_suggestion_stops_where_it_leaves_the_block_the_cursor_is_in()
    {
        // The model finishes the method and goes on to write the next one: the user is writing this block only.
        var model = "foreach (var entry in entries)\n            total += entry.Amount;\n        return total;\n    }\n\n    public void Clear() { }";
        Assert.Equal("foreach (var entry in entries)\n            total += entry.Amount;\n        return total;",
            IndentationScope.Limit(model, Cursor.In(MethodBody)));
    }

    [Fact]
    public void A_block_the_suggestion_opens_stays_whole_with_its_closing_brace()
    {
        var model = "foreach (var entry in entries)\n        {\n            total += entry.Amount;\n        }";
        Assert.Equal(model, IndentationScope.Limit(model, Cursor.In(MethodBody)));
    }

    [Fact]
    public void On_an_empty_line_the_scope_is_the_indentation_the_model_writes()
    {
        var file = "class A\n{\n    void M()\n    {\n|\n    }\n}\n";
        var model = "        Run();\n        Stop();\n    }\n    void N() { }";
        Assert.Equal("        Run();\n        Stop();", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void After_an_opening_brace_the_body_and_its_closer_stay_when_nothing_below_closes_it()
    {
        // The user is writing at the end of the file: the block's closing brace is theirs to accept.
        var file = "class A\n{\n    void M() {|";
        var model = "\n        Run();\n    }\n}\nclass B { }";
        Assert.Equal("\n        Run();\n    }", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void The_closer_is_left_out_when_the_code_below_still_belongs_to_the_scope()
    {
        var file = "class A\n{\n    void M()\n    {\n        |\n        Save();\n    }\n}\n";
        var model = "Load();\n    }\n}";
        Assert.Equal("Load();", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void After_an_opening_brace_the_closer_is_left_to_the_code_below_that_has_it()
    {
        // The editor put the closing brace on the next line when the user typed the opening one.
        var file = "class A\n{\n    void M() {|\n    }\n}\n";
        var model = "\n        Run();\n    }\n    void N() { }";
        Assert.Equal("\n        Run();\n    }", IndentationScope.Limit(model, Cursor.In(file)));
        Assert.Equal("\n        Run();", SuggestionCleaner.Clean(model, Cursor.In(file), MultiLineFilters.All).Text);
    }

    [Fact]
    public void After_an_opening_parenthesis_the_suggestion_ends_with_the_call()
    {
        var file = "class A\n{\n    void M()\n    {\n        var cooldown = Calculate(|\n    }\n}\n";
        var model = "player, hours);\n        return cooldown;";
        Assert.Equal("player, hours);", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void A_brace_on_its_own_line_opens_the_block_of_the_line_before()
    {
        var file = "class A\n{\n    void M()|\n}\n";
        var model = "\n    {\n        Run();\n    }\n\n    void N()\n    {\n    }";
        Assert.Equal("\n    {\n        Run();\n    }", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void The_closer_of_a_block_the_line_opens_stays_when_the_code_below_goes_on_in_the_enclosing_block()
    {
        // Seen in bench quality: cutting this brace left the loop open, and the syntax guard dropped the whole answer.
        var file = "class A\n{\n    void M(string[] ids)\n    {\n        foreach (var id in ids ?? |\n        Save();\n    }\n}\n";
        var model = "[])\n        {\n            Add(id);\n        }\n        Save();";
        Assert.Equal("[])\n        {\n            Add(id);\n        }", IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void Continuation_lines_indented_deeper_are_kept()
    {
        var file = "class A\n{\n    int M(int[] xs)\n    {\n        var q = xs|\n    }\n}\n";
        var model = "\n            .Where(x => x > 0)\n            .Select(x => x * 2);\n        return q.Sum();";
        Assert.Equal(model, IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void Top_level_code_has_no_scope_to_leave()
    {
        var file = "using System;\n|\n";
        var model = "using System.IO;\nnamespace Demo;\nclass A { }";
        Assert.Equal(model, IndentationScope.Limit(model, Cursor.In(file)));
    }

    [Fact]
    public void Tabs_and_spaces_compare_by_columns()
    {
        var file = "class A\n{\n\tvoid M()\n\t{\n\t\t|\n\t}\n}\n";
        // Eight spaces are the same depth as two tabs: not a dedent.
        var model = "Run();\n        Stop();\n\t}";
        Assert.Equal("Run();\n        Stop();", IndentationScope.Limit(model, Cursor.In(file)));
    }
}

public sealed class RepetitionLoopTests
{
    [Fact]
    public void A_line_the_model_writes_again_and_again_to_the_end_is_kept_once()
    {
        var model = "items.Add(first);\n        items.Add(next);\n        items.Add(next);\n        items.Add(next);\n        items.Add(ne";
        Assert.Equal("items.Add(first);\n        items.Add(next);", RepetitionLoop.Drop(model));
    }

    [Fact]
    public void A_block_the_model_loops_on_is_kept_once()
    {
        var model = "if (a == null)\n            throw new ArgumentNullException(nameof(a));\n        if (a == null)\n            throw new ArgumentNullException(nameof(a));\n        if (a == null)\n            throw";
        Assert.Equal("if (a == null)\n            throw new ArgumentNullException(nameof(a));", RepetitionLoop.Drop(model));
    }

    [Theory]
    // Two equal lines are ordinary code.
    [InlineData("builder.AppendLine();\n        builder.AppendLine();")]
    // Repeats followed by other code are not a loop.
    [InlineData("builder.AppendLine();\n        builder.AppendLine();\n        builder.AppendLine();\n        return builder.ToString();")]
    // Runs of closing braces close nested blocks.
    [InlineData("Run();\n            }\n        }\n    }")]
    // Lines that only look alike differ.
    [InlineData("case 1: return \"one\";\ncase 2: return \"two\";\ncase 3: return \"three\";")]
    public void Code_that_repeats_on_purpose_is_left_alone(string model) =>
        Assert.Equal(model, RepetitionLoop.Drop(model));
}

public sealed class SuffixClosersTests
{
    private const string EndOfMethod = "class A\n{\n    void M()\n    {\n        |\n    }\n}\n";

    [Fact]
    public void A_closing_brace_the_code_below_has_is_dropped()
    {
        var model = "Run();\n    }";
        Assert.Equal("Run();", SuffixClosers.Drop(model, Cursor.In(EndOfMethod)));
    }

    [Fact]
    public void Every_trailing_closer_the_code_below_starts_with_is_dropped()
    {
        var model = "Run();\n    }\n}";
        Assert.Equal("Run();", SuffixClosers.Drop(model, Cursor.In(EndOfMethod)));
    }

    [Fact]
    public void A_lone_closer_on_the_cursor_line_is_compared_as_the_whole_line()
    {
        var file = "class A\n{\n    void M()\n    {\n        Run();\n    |\n    }\n}\n";
        Assert.Equal("", SuffixClosers.Drop("}", Cursor.In(file)));
    }

    [Fact]
    public void A_closer_at_another_indentation_is_kept()
    {
        // The model closes an inner block; the brace below closes the method.
        var model = "Run();\n        }";
        Assert.Equal(model, SuffixClosers.Drop(model, Cursor.In(EndOfMethod)));
    }

    [Fact]
    public void The_closer_of_a_block_the_suggestion_opens_is_kept()
    {
        var file = "class A\n{\n    void M()\n    {\n        |\n        }\n    }\n}\n";
        // Oddly indented code below, but the brace closes the suggestion's own "if".
        var model = "if (ready)\n        {\n            Run();\n        }";
        Assert.Equal(model, SuffixClosers.Drop(model, Cursor.In(file)));
    }

    [Fact]
    public void With_code_after_the_cursor_on_its_line_nothing_is_dropped()
    {
        var file = "class A\n{\n    void M()\n    {\n        |Run();\n    }\n}\n";
        var model = "Stop();\n    }";
        Assert.Equal(model, SuffixClosers.Drop(model, Cursor.In(file)));
    }
}

public sealed class MultiLineFilterSetTests
{
    [Fact]
    public void Settings_name_filters_one_by_one_or_together()
    {
        Assert.Equal(MultiLineFilterSet.Default, MultiLineFilterSet.Parse(null));
        Assert.Equal(MultiLineFilterSet.Default, MultiLineFilterSet.Parse("default"));
        Assert.Equal(MultiLineFilters.None, MultiLineFilterSet.Parse("none"));
        Assert.Equal(MultiLineFilters.IndentationScope | MultiLineFilters.SuffixCloser, MultiLineFilterSet.Parse("scope, closer"));
        Assert.Equal("scope,repetition,closer", MultiLineFilterSet.Name(MultiLineFilterSet.Parse("all")));
        Assert.Throws<ArgumentException>(() => MultiLineFilterSet.Parse("scope,sideways"));
    }
}

public sealed class CleanerFilterTests
{
    private const string File = """
        class Ledger
        {
            public decimal Total(IEnumerable<Entry> entries)
            {
                var total = 0m;
                |
                return total;
            }
        }
        """;

    [Fact]
    public void The_cleaner_applies_only_the_chosen_filters_and_says_what_each_cut()
    {
        var model = "foreach (var entry in entries)\n            total += entry.Amount;\n        Log(total);\n    }\n\n    public void Clear() { }\n";
        var around = Cursor.In(File);

        var none = SuggestionCleaner.Clean(model, around, MultiLineFilters.None);
        Assert.Equal(model.TrimEnd(), none.Text);
        Assert.Null(none.Why(model));

        var scoped = SuggestionCleaner.Clean(model, around, MultiLineFilters.IndentationScope);
        Assert.Equal("foreach (var entry in entries)\n            total += entry.Amount;\n        Log(total);", scoped.Text);
        var cut = Assert.Single(scoped.Cuts);
        Assert.Equal("scope", cut.Step);
        Assert.Equal($"the cleaner cut it from {model.TrimEnd().Length} to {scoped.Text!.Length} chars (the code below it leaves the cursor line's indentation scope)", scoped.Why(model));
    }

    [Fact]
    public void Several_cuts_are_named_step_by_step()
    {
        // The model writes the line below the cursor (cut by the cleaner's own rule), after a loop of its own.
        var model = "Log(total);\n        Log(total);\n        Log(total);\n        return total;";
        var cleaned = SuggestionCleaner.Clean(model, Cursor.In(File), MultiLineFilters.All);
        Assert.Equal("Log(total);", cleaned.Text);
        Assert.Equal(["code below", "repetition"], cleaned.Cuts.Select(c => c.Step));
        Assert.Matches(@"^the cleaner cut it from \d+ to 11 chars \(code below: .*, \d+→\d+; repetition: .*, \d+→11\)$", cleaned.Why(model));
    }

    [Fact]
    public void A_suggestion_the_filters_empty_is_not_shown()
    {
        var file = "class A\n{\n    void M()\n    {\n        Run();\n    |\n    }\n}\n";
        var cleaned = SuggestionCleaner.Clean("}", Cursor.In(file), MultiLineFilters.SuffixCloser);
        Assert.Null(cleaned.Text);
        Assert.StartsWith("the cleaner dropped all 1 chars", cleaned.Why("}"));
    }
}
