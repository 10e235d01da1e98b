using Atlas.Completion;
using Atlas.Documents;
using Atlas.Fixes.Verification;

namespace Atlas.Fixes.Tests;

/// <summary>
/// The candidates of an explicit C# request, ordered by Roslyn: whole before cut by the syntax guard, then no new
/// compile error before a new one, then the model's order. Fixed texts, in the model's order, through the ranking the
/// server uses with its syntax guard and compile check.
/// </summary>
public sealed class CandidateRankingTests
{
    private const string Code = "class C\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";
    private static readonly TextDocument Document = new("file:///work/C.cs", "csharp", 1, Code);
    private static readonly int Cursor = Code.IndexOf("return ", StringComparison.Ordinal) + "return ".Length;

    private static readonly string[] ModelOrder =
    [
        "value * 2;\n    }\n    int N( {{",   // its later lines break the file: the guard cuts it to the first
        "Missing(value);",                    // whole, but there is no Missing
        "value + value;",                     // whole and compiles
    ];

    private static Task<IReadOnlyList<bool?>?> Compile(TextDocument document, int offset, IReadOnlyList<(string Text, int ReplacedLength)> candidates, TimeSpan budget, CancellationToken cancellationToken) =>
        CompletionCompileCheck.NewErrorsAsync(CSharpDocuments.Standalone(document), offset, candidates, budget, cancellationToken)
            .ContinueWith(t => (IReadOnlyList<bool?>?)t.Result, TaskScheduler.Default);

    private static Task<IReadOnlyList<Candidate>> RankAsync(CompileCheck? compile) =>
        CandidateRanking.RankAsync(Document, Cursor, ModelOrder, new CompletionSyntaxGuard().Check, compile, CancellationToken.None);

    [Fact]
    public async Task What_adds_no_syntax_error_comes_first_then_what_compiles_then_the_models_order()
    {
        var ranked = await RankAsync((d, o, c, t) => Compile(d, o, c, TimeSpan.FromMinutes(1), t));

        Assert.Equal(["value + value;", "Missing(value);", "value * 2;"], ranked.Select(c => c.Text));
        Assert.Equal([2, 1, 0], ranked.Select(c => c.ModelRank));
        Assert.Equal([true, true, false], ranked.Select(c => c.SyntaxWhole));
        Assert.Equal([false, true, false], ranked.Select(c => c.NewCompileError));
    }

    [Fact]
    public async Task Without_a_compile_check_the_syntax_guard_alone_orders_them()
    {
        var ranked = await RankAsync(compile: null);
        Assert.Equal([1, 2, 0], ranked.Select(c => c.ModelRank));
        Assert.All(ranked, c => Assert.Null(c.NewCompileError));
    }

    [Fact]
    public async Task A_compile_check_out_of_time_leaves_the_candidates_unknown_and_in_the_models_order()
    {
        var ranked = await RankAsync((d, o, c, t) => Compile(d, o, c, TimeSpan.Zero, t));
        Assert.Equal([1, 2, 0], ranked.Select(c => c.ModelRank));
        Assert.All(ranked, c => Assert.Null(c.NewCompileError));
    }

    [Fact]
    public async Task Candidates_the_guard_makes_alike_or_drops_are_shown_once_or_not_at_all()
    {
        var ranked = await CandidateRanking.RankAsync(Document, Cursor, ["value * 2;\n    }\n    int N( {{", "value * 2;", "x ) ) ] class {", null], new CompletionSyntaxGuard().Check, null, CancellationToken.None);
        var only = Assert.Single(ranked);
        Assert.Equal(("value * 2;", 0), (only.Text, only.ModelRank));     // the model's first of those that show alike
    }
}
