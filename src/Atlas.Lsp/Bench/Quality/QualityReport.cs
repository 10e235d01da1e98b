using System.Text.Json.Nodes;
using Atlas.Completion;
using Atlas.Completion.Filters;

namespace Atlas.Lsp.Bench.Quality;

/// <summary>
/// The answers of a quality run and the figures made from them: per case kind and overall, per mode; what each
/// post-processing stage did to exact match; what each multi-line filter (<paramref name="filters"/>: the run's) did;
/// the lift repository context gives; and every case as JSON.
/// </summary>
internal sealed class QualityReport(IReadOnlyList<QualityCase> cases, MultiLineFilters filters)
{
    private readonly Dictionary<(QualityCase, ContextMode), Answer> _answers = [];

    public void Add(QualityCase item, ContextMode mode, Answer answer) => _answers[(item, mode)] = answer;

    private static string Title(ContextMode mode) => mode == ContextMode.Repository ? "with repository context" : "file only (contextShare 0)";

    public void Print(TextWriter output, IReadOnlyList<ContextMode> modes)
    {
        var kinds = cases.Select(c => c.Kind).Distinct().ToList();
        output.WriteLine($"{"",-24} {"cases",5} {"exact",7} {"1st token",9} {"edit sim",8} {"empty",7} {"guard drop",10} {"guard cut",9} {"p50 ms",8} {"p95 ms",8}");
        foreach (var mode in modes)
        {
            output.WriteLine(Title(mode));
            foreach (var kind in kinds) Row(output, $"  {kind}", Of(mode, kind));
            Row(output, "  all", Of(mode, null));
            output.WriteLine("  " + Stages(Of(mode, null)));
            Filters(output, Of(mode, null));
            if (Of(mode, null).Any(r => r.A.Candidates is not null)) output.WriteLine("  " + Candidates(Of(mode, null)));
        }
        if (modes.Count == 2)
        {
            var lifts = kinds.Select(k => $"{k} {Lift(k):+0.0;-0.0;0.0}").Append($"all {Lift(null):+0.0;-0.0;0.0}");
            output.WriteLine($"lift (repository context − file only), exact match in points: {string.Join(", ", lifts)}");
        }
    }

    private double Lift(string? kind) =>
        100 * (Share(Of(ContextMode.Repository, kind), x => Scores.Exact(x.A.Text, x.C.Expected)) - Share(Of(ContextMode.FileOnly, kind), x => Scores.Exact(x.A.Text, x.C.Expected)));

    private List<(QualityCase C, Answer A)> Of(ContextMode mode, string? kind) =>
        [.. cases.Where(c => kind is null || c.Kind == kind).Select(c => _answers.TryGetValue((c, mode), out var a) ? (c, a) : default).Where(x => x.a is not null)];

    private static double Share(List<(QualityCase C, Answer A)> rows, Func<(QualityCase C, Answer A), bool> test) =>
        rows.Count == 0 ? 0 : (double)rows.Count(test) / rows.Count;

    private static void Row(TextWriter output, string label, List<(QualityCase C, Answer A)> rows)
    {
        if (rows.Count == 0) return;
        var latencies = rows.Select(r => r.A.LatencyMs).ToList();
        output.WriteLine($"{label,-24} {rows.Count,5} {Share(rows, r => Scores.Exact(r.A.Text, r.C.Expected)),7:P1} {Share(rows, r => Scores.FirstToken(r.A.Text, r.C.Expected)),9:P1} " +
                         $"{rows.Average(r => Scores.EditSimilarity(r.A.Text, r.C.Expected)),8:F3} {Share(rows, r => r.A.Empty),7:P1} {Share(rows, r => r.A.GuardDropped),10:P1} " +
                         $"{Share(rows, r => r.A.GuardCut),9:P1} {Stats.Median(latencies),8:F1} {Stats.Percentile(latencies, 95),8:F1}");
    }

    /// <summary>
    /// What post-processing did: how often the cleaner and the syntax guard changed the model's first line, and how
    /// many of those changes made a wrong answer right or a right one wrong.
    /// </summary>
    private static string Stages(List<(QualityCase C, Answer A)> rows)
    {
        string Effect(string name, Func<Answer, string?> before, Func<Answer, string?> after)
        {
            var changed = rows.Where(r => Scores.FirstLine(before(r.A)) != Scores.FirstLine(after(r.A)) || (before(r.A) is null) != (after(r.A) is null)).ToList();
            var fixedCount = changed.Count(r => !Scores.Exact(before(r.A), r.C.Expected) && Scores.Exact(after(r.A), r.C.Expected));
            var broken = changed.Count(r => Scores.Exact(before(r.A), r.C.Expected) && !Scores.Exact(after(r.A), r.C.Expected));
            return $"{name} changed {changed.Count} (wrong→right {fixedCount}, right→wrong {broken})";
        }
        var modelExact = rows.Count(r => Scores.Exact(r.A.ModelText, r.C.Expected));
        return $"model's own text exact {modelExact}/{rows.Count}; {Effect("cleaner", a => a.ModelText, a => a.CleanedText)}; {Effect("syntax guard", a => a.CleanedText, a => a.Text)}";
    }

    /// <summary>
    /// What each multi-line filter does, measured on the same answers: the model's text of every case cleaned with no
    /// filter, with each alone and with all, then put through the syntax guard as the server does (greedy decoding
    /// makes the model's text the same whichever filters are on, so one run measures them all). Per set: exact match,
    /// answers changed against no filter, first lines made right or wrong, answers right in every line, lines right,
    /// and answers that lost lines the file has.
    /// </summary>
    private void Filters(TextWriter output, List<(QualityCase C, Answer A)> rows)
    {
        var replayed = rows.Where(r => r.A.ModelText is not null).Select(r => new Replay(r.C, r.A)).ToList();
        if (replayed.Count == 0) return;
        var sets = new List<MultiLineFilters> { MultiLineFilters.None };
        sets.AddRange(MultiLineFilterSet.Each.Select(e => e.Filter));
        sets.Add(MultiLineFilters.All);
        if (!sets.Contains(MultiLineFilterSet.Default)) sets.Add(MultiLineFilterSet.Default);
        if (!sets.Contains(filters)) sets.Add(filters);

        var agree = replayed.Count(r => r.Shown(filters) == r.Answer.Text);
        output.WriteLine($"  multi-line filters on the same {replayed.Count} answers ({replayed.Count(r => r.Answer.ModelText!.TrimEnd().Contains('\n'))} written on more than one line), then the syntax guard; " +
                         $"replayed with this run's filters ({MultiLineFilterSet.Name(filters)}) they agree with the server's answers in {agree}");
        output.WriteLine($"    {"filters",-26} {"exact",7} {"changed",7} {"wrong→right",11} {"right→wrong",11} {"all lines right",15} {"lines right",11} {"lost lines",10}");
        foreach (var set in sets)
        {
            var changed = replayed.Where(r => r.Shown(set) != r.Shown(MultiLineFilters.None)).ToList();
            var name = (set == MultiLineFilters.All ? "all" : MultiLineFilterSet.Name(set)) + (set == MultiLineFilterSet.Default ? " (default)" : "");
            output.WriteLine($"    {name,-26} {(double)replayed.Count(r => r.Exact(set)) / replayed.Count,7:P1} {changed.Count,7} " +
                             $"{changed.Count(r => !r.Exact(MultiLineFilters.None) && r.Exact(set)),11} {changed.Count(r => r.Exact(MultiLineFilters.None) && !r.Exact(set)),11} " +
                             $"{replayed.Count(r => r.Shown(set)?.Contains('\n') == true && Scores.WhollyRight(r.Shown(set), r.Truth)),15} " +
                             $"{replayed.Sum(r => Scores.LinesRight(r.Shown(set), r.Truth)),11} {changed.Count(r => Scores.LinesRight(r.Shown(set), r.Truth) < Scores.LinesRight(r.Shown(MultiLineFilters.None), r.Truth)),10}");
        }
    }

    /// <summary>One answer's model text, cleaned and guarded again with a chosen set of filters (once per set).</summary>
    private sealed class Replay(QualityCase item, Answer answer)
    {
        private readonly Dictionary<MultiLineFilters, string?> _shown = [];
        private Microsoft.CodeAnalysis.SyntaxTree? _tree;

        public Answer Answer => answer;
        public string Truth { get; } = item.Truth();

        public bool Exact(MultiLineFilters filters) => Scores.Exact(Shown(filters), item.Expected);

        public string? Shown(MultiLineFilters filters)
        {
            if (_shown.TryGetValue(filters, out var known)) return known;
            var (prefix, suffix) = item.Around();
            var around = CursorSurroundings.Around(prefix, suffix);
            var cleaned = SuggestionCleaner.Clean(answer.ModelText!, around, filters).Text;
            var tree = _tree ??= Atlas.Fixes.Verification.CompletionSyntaxGuard.Parse(prefix + suffix);
            var shown = cleaned is null ? null
                : Atlas.Fixes.Verification.CompletionSyntaxGuard.Clean(tree, prefix.Length, SuggestionCleaner.ReplacedLength(cleaned, around.LineAfter), cleaned);
            return _shown[filters] = shown;
        }
    }

    /// <summary>
    /// What asking for several candidates gave: the first shown against the greedy answer alone (what typing shows),
    /// any candidate exact (what a user picking from the list could get), and how often the language's ordering put
    /// another candidate first, with how many of those made the first right or wrong.
    /// </summary>
    private static string Candidates(List<(QualityCase C, Answer A)> rows)
    {
        var reordered = rows.Where(r => r.A.Reordered).ToList();
        var fixedCount = reordered.Count(r => !Scores.Exact(r.A.Greedy, r.C.Expected) && Scores.Exact(r.A.Text, r.C.Expected));
        var broken = reordered.Count(r => Scores.Exact(r.A.Greedy, r.C.Expected) && !Scores.Exact(r.A.Text, r.C.Expected));
        var greedyMs = rows.Select(r => r.A.GreedyEngineMs).ToList();
        var allMs = rows.Select(r => r.A.EngineMs).ToList();
        return $"candidates: first exact {rows.Count(r => Scores.Exact(r.A.Text, r.C.Expected))}/{rows.Count}, greedy alone exact {rows.Count(r => Scores.Exact(r.A.Greedy, r.C.Expected))}/{rows.Count}, " +
               $"any exact {rows.Count(r => r.A.Candidates!.Any(c => Scores.Exact(c, r.C.Expected)))}/{rows.Count}; ordering changed the first {reordered.Count}/{rows.Count} " +
               $"(wrong→right {fixedCount}, right→wrong {broken}); shown per request {rows.Average(r => r.A.Candidates!.Count):F2}; " +
               $"engine p50 {Stats.Median(greedyMs):F1} ms greedy alone, {Stats.Median(allMs):F1} ms all candidates";
    }

    public JsonArray ToJson()
    {
        var array = new JsonArray();
        foreach (var item in cases)
        {
            var entry = new JsonObject { ["id"] = item.Id, ["kind"] = item.Kind, ["expected"] = item.Expected };
            foreach (var mode in new[] { ContextMode.Repository, ContextMode.FileOnly })
            {
                if (!_answers.TryGetValue((item, mode), out var a)) continue;
                entry[mode == ContextMode.Repository ? "repository" : "fileOnly"] = new JsonObject
                {
                    ["text"] = a.Text,
                    ["exact"] = Scores.Exact(a.Text, item.Expected),
                    ["firstToken"] = Scores.FirstToken(a.Text, item.Expected),
                    ["editSimilarity"] = Math.Round(Scores.EditSimilarity(a.Text, item.Expected), 4),
                    ["linesRight"] = Scores.LinesRight(a.Text, item.Truth()),
                    ["modelText"] = a.ModelText,
                    ["cleanedText"] = a.CleanedText,
                    ["latencyMs"] = Math.Round(a.LatencyMs, 1),
                    ["engineMs"] = Math.Round(a.EngineMs, 1),
                    ["promptTokens"] = a.PromptTokens,
                    ["generatedTokens"] = a.GeneratedTokens,
                };
                if (a.Candidates is { } shown)
                {
                    var answer = (JsonObject)entry[mode == ContextMode.Repository ? "repository" : "fileOnly"]!;
                    answer["candidates"] = new JsonArray([.. shown.Select(c => (JsonNode?)c)]);
                    answer["greedy"] = a.Greedy;
                    answer["reordered"] = a.Reordered;
                }
            }
            array.Add(entry);
        }
        return array;
    }
}
