using Atlas.Fixes.Targets;

namespace Atlas.Fixes.Tests;

public sealed class FixTargetTests
{
    [Fact]
    public void A_missing_semicolon_targets_its_whole_statement_line()
    {
        var document = Samples.Document(Samples.Broken);
        // CS1002 is reported as an empty span right after "value * 2".
        var at = Samples.RangeOf(document, "value * 2", extraStart: "value * 2".Length, length: 0);
        var target = FixTarget.For(document, at);

        Assert.Equal("statement", target.Kind);
        Assert.Equal("        var result = value * 2", target.Original);
    }

    [Fact]
    public void A_problem_in_a_signature_targets_the_member()
    {
        var document = Samples.Document(Samples.Broken);
        var target = FixTarget.For(document, Samples.RangeOf(document, "Unused"));
        Assert.Equal("member", target.Kind);
        Assert.Equal("    public static int Unused() => 0;", target.Original);
    }

    [Fact]
    public void Other_languages_target_the_whole_lines_the_problem_touches()
    {
        var document = Samples.Document("def f(x):\n    return x +\n\nprint(f(1))\n", "f.py", "python");
        var target = FixTarget.For(document, Samples.RangeOf(document, "x +"));
        Assert.Equal("lines", target.Kind);
        Assert.Equal("    return x +", target.Original);
    }
}
