using Atlas.Fixes.Targets;
using Atlas.Fixes.Verification;

namespace Atlas.Fixes.Tests;

/// <summary>The C# verifier compiles candidates: correct ones pass, broken ones fail with the check they failed.</summary>
public sealed class VerifierTests
{
    private static readonly Atlas.Documents.TextDocument Document = Samples.Document(Samples.Broken);
    private static readonly FixTarget Target = FixTarget.For(Document, Samples.RangeOf(Document, "value * 2", "value * 2".Length, 0));
    private static readonly FixDiagnostic[] Problem = [new(Samples.RangeOf(Document, "value * 2", "value * 2".Length, 0), "; expected", "CS1002")];

    private static Task<VerificationResult> Verify(string candidate) =>
        CSharpFixVerifier.VerifyAsync(CSharpDocuments.Standalone(Document), Target, candidate, Problem, CancellationToken.None);

    [Fact]
    public async Task A_correct_candidate_is_accepted()
    {
        var result = await Verify("        var result = value * 2;");
        Assert.True(result.Accepted, result.Check);
    }

    [Fact]
    public async Task A_candidate_that_leaves_the_problem_is_rejected()
    {
        var result = await Verify("        var result = value * 3");
        Assert.False(result.Accepted);
        Assert.Contains("targeted problem still present: CS1002", result.Check);
    }

    [Fact]
    public async Task A_candidate_that_adds_a_new_error_is_rejected()
    {
        var result = await Verify("        var result = valu * 2;");
        Assert.False(result.Accepted);
        Assert.Contains("new error: CS0103", result.Check);
    }

    [Theory]
    [InlineData("")]
    [InlineData("        var result = value * 2")]
    public async Task Empty_or_unchanged_candidates_are_rejected(string candidate)
    {
        Assert.False((await Verify(candidate)).Accepted);
    }

    [Fact]
    public async Task Errors_elsewhere_in_the_file_do_not_count_against_a_fix()
    {
        var text = Samples.Broken.Replace("public static int Unused() => 0;", "public static Missing Unused() => null;");
        var document = Samples.Document(text);
        var at = Samples.RangeOf(document, "value * 2", "value * 2".Length, 0);
        var result = await CSharpFixVerifier.VerifyAsync(CSharpDocuments.Standalone(document), FixTarget.For(document, at), "        var result = value * 2;", [new(at, "; expected", "CS1002")], CancellationToken.None);
        Assert.True(result.Accepted, result.Check);
    }
}
