using System.CommandLine;
using System.Diagnostics;
using Atlas.Documents;
using Atlas.Fixes;
using Atlas.Fixes.Targets;
using Atlas.Fixes.Verification;
using Atlas.Lsp.Cli;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench fixes`: what Roslyn checking costs. The syntax guard on inline C# suggestions in a 5,000-line
/// file after a keystroke (it runs on every suggestion the model makes), and compiling a fix candidate against the
/// original (it runs per candidate). Then the first and the tenth "fix this" listing over LSP in fresh server
/// processes, Roslyn's warm-up off and on (<see cref="ListingRounds"/>).
/// </summary>
internal static class FixesBench
{
    private static readonly string[] Suggestions =
    [
        "_values0.Count;",
        "Add(value);\n        return Total();",
        "value > 0 ? value : -value;\n    }\n\n    public int Twice(int x) => x * 2;",
        "broken ) ] {",
    ];

    public static Command Create()
    {
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 50, Description = "Repetitions per figure." };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5, Description = "Fresh server processes per listing figure (0: no listing figures)." };
        var model = new Option<string?>("--model") { Description = "A model the servers of the listing rounds load meanwhile, as an editor's would (default: none)." };
        var command = new Command("fixes", "Cost of Roslyn checks: the inline-suggestion syntax guard, fix-candidate verification, the first and tenth \"fix this\" listing cold and warm.");
        command.Options.Add(runs);
        command.Options.Add(rounds);
        command.Options.Add(model);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var n = result.GetValue(runs);
            var code = SampleCode.Lines(5000);
            var cursor = code.IndexOf("public int Total() => ", code.Length / 2, StringComparison.Ordinal) + "public int Total() => ".Length;
            var text = code.Remove(cursor, code.IndexOf('\n', cursor) - cursor);

            var parse = Stopwatch.StartNew();
            CompletionSyntaxGuard.Parse(text).GetDiagnostics().ToList();
            Console.WriteLine($"parse a 5,000-line file from scratch                  {parse.Elapsed.TotalMilliseconds,8:F2} ms");

            // As the server runs it: the user typed one more character, the guard reparses incrementally and checks.
            var guard = new CompletionSyntaxGuard();
            guard.Check(new TextDocument("file:///bench/Inventory.cs", "csharp", 0, text), cursor, 0, Suggestions[0], cancellationToken);
            var checks = new List<double>();
            var cut = 0;
            for (var i = 0; i < n; i++)
            {
                var suggestion = Suggestions[i % Suggestions.Length];
                var typed = new TextDocument("file:///bench/Inventory.cs", "csharp", i + 1, text.Insert(cursor, i % 2 == 0 ? "x" : ""));
                var typedCursor = cursor + (i % 2 == 0 ? 1 : 0);
                var clock = Stopwatch.StartNew();
                var clean = guard.Check(typed, typedCursor, 0, suggestion, cancellationToken);
                checks.Add(clock.Elapsed.TotalMilliseconds);
                if (clean != suggestion) cut++;
            }
            Console.WriteLine($"syntax guard per suggestion after a keystroke       p50 {Stats.Median(checks),6:F2} ms   p95 {Stats.Percentile(checks, 95),6:F2} ms   ({cut} of {n} cut or dropped)");

            var broken = text.Insert(cursor, "_values0.Count\n");
            var document = new TextDocument("file:///bench/Inventory.cs", "csharp", 1, broken);
            var at = document.PositionAt(cursor + "_values0.Count".Length);
            var problem = new FixDiagnostic(new TextRange(at, at), "; expected", "CS1002");
            var target = FixTarget.For(document, problem.Range);
            var roslyn = CSharpDocuments.Standalone(document);
            var baselineClock = Stopwatch.StartNew();
            var baseline = await CSharpFixVerifier.BaselineAsync(roslyn, target, cancellationToken);
            Console.WriteLine($"compile the original once per fix request (cold)     {baselineClock.Elapsed.TotalMilliseconds,8:F1} ms");
            var verify = new List<double>();
            var accepted = 0;
            for (var i = 0; i < Math.Min(n, 20); i++)
            {
                var candidate = i % 2 == 0 ? target.Original.TrimEnd() + ";" : target.Original.Replace("_values0", "_valuez0") + ";";
                var clock = Stopwatch.StartNew();
                var outcome = await CSharpFixVerifier.VerifyAsync(roslyn, baseline, target, candidate, [problem], cancellationToken);
                verify.Add(clock.Elapsed.TotalMilliseconds);
                if (outcome.Accepted) accepted++;
            }
            Console.WriteLine($"verify a fix candidate (bind the rewritten member)   p50 {Stats.Median(verify),6:F1} ms   p95 {Stats.Percentile(verify, 95),6:F1} ms   ({accepted} of {verify.Count} accepted: half the candidates are broken on purpose)");
            if (result.GetValue(rounds) is > 0 and var processes) await ListingRounds.Run(processes, result.GetValue(model), cancellationToken);
            return 0;
        }));
        return command;
    }
}
