using System.CommandLine;
using System.Text.Json;
using Atlas.Engine;
using Atlas.Engine.Decoding;
using Atlas.Lsp.Bench.Quality;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench speculative`: generation speed of the target alone against the target with its draft, over the
/// built-in code prompts and, with --cases, real C# prompts (the text around each case's cursor), measured alternately
/// in one run; acceptance rate and tokens per target pass; whether the outputs were identical, and where they parted
/// when not (the token, both choices and their logits); and what the draft costs against the target, with the
/// break-even acceptance that follows.
/// </summary>
internal static class SpeculativeBench
{
    /// <summary>Code prompts: two repetitive (a long switch, a table of similar lines), two ordinary.</summary>
    internal static readonly (string Name, string Prefix, string Suffix)[] Prompts =
    [
        ("switch", """
            public static string Describe(int code)
            {
                switch (code)
                {
                    case 200: return "OK";
                    case 201: return "Created";
                    case 202: return "Accepted";
                    case 204: return "No Content";
                    case 301: return "Moved Permanently";
                    case 302: return "Found";
                    case 304: return "Not Modified";
                    case 400: return "Bad Request";
                    case 401: return "Unauthorized";
                    case 403: return "Forbidden";
                    case 404: return "Not Found";
                    case
            """, "\n        default: return \"Unknown\";\n    }\n}\n"),
        ("table", """
            ELEMENTS = [
                ("H", "Hydrogen", 1, 1.008),
                ("He", "Helium", 2, 4.0026),
                ("Li", "Lithium", 3, 6.94),
                ("Be", "Beryllium", 4, 9.0122),
                ("B", "Boron", 5, 10.81),
                ("C", "Carbon", 6, 12.011),
                ("N", "Nitrogen", 7, 14.007),
                ("O", "Oxygen", 8, 15.999),
                ("F", "Fluorine", 9, 18.998),
                ("Ne", "Neon", 10, 20.180),

            """, "]\n"),
        ("function", """
            def merge_sorted(left, right):
                \"\"\"Merge two sorted lists into one sorted list.\"\"\"
                result = []
                i = j = 0
                while i < len(left) and j < len(right):

            """, "    return result\n"),
        ("class", """
            export class LruCache<K, V> {
              private readonly map = new Map<K, V>();
              constructor(private readonly capacity: number) {}

              get(key: K): V | undefined {

            """, "\n}\n"),
    ];

    public static Command Create()
    {
        var engine = new EngineOptions();
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 3, Description = "Alternating runs per prompt (medians are printed)." };
        var tokens = new Option<int>("--tokens") { DefaultValueFactory = _ => 96, Description = "Tokens to generate per run." };
        var cases = new Option<string?>("--cases") { Description = "A JSON-lines file of completion cases (../shared/eval's format): real prompts, the text around each case's cursor." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N cases." };
        var builtIn = new Option<bool>("--built-in") { DefaultValueFactory = _ => true, Description = "Run the built-in prompts too (false: only the cases)." };
        var singleLine = new Option<bool>("--single-line") { Description = "Ask for one line, as the server does inside a line (generation stops at the line's end)." };
        var always = new Option<bool>("--compare-always") { Description = "Also run speculation with the cost check off (drafting every pass), side by side." };
        var command = new Command("speculative", "Target alone against target with draft: tokens/s, speedup, acceptance, identical output, break-even.");
        engine.AddTo(command);
        command.Options.Add(runs);
        command.Options.Add(tokens);
        command.Options.Add(cases);
        command.Options.Add(limit);
        command.Options.Add(builtIn);
        command.Options.Add(singleLine);
        command.Options.Add(always);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            var settings = engine.Read(result);
            if (settings.DraftModelPath is null) throw new UserError("bench speculative needs --draft PATH.");
            var prompts = new List<(string Name, string Prefix, string Suffix)>();
            if (result.GetValue(builtIn)) prompts.AddRange(Prompts);
            if (result.GetValue(cases) is { } path)
            {
                IEnumerable<QualityCase> loaded = QualityCases.Load(path);
                if (result.GetValue(limit) is { } n) loaded = loaded.Take(n);
                foreach (var c in loaded)
                {
                    var (prefix, suffix) = c.Around();
                    prompts.Add((c.Id, prefix, suffix));
                }
            }
            if (prompts.Count == 0) throw new UserError("No prompts: give --cases, or leave --built-in on.");
            using var speculative = await CompletionEngine.LoadAsync(settings, logging.CreateLogger("bench"), cancellationToken: cancellationToken);
            if (!speculative.HasDraft) throw new UserError(speculative.DraftProblem ?? "The draft model could not be used.");
            // The same pair drafting every pass, side by side, shows what the cost check saves.
            using var everyPass = result.GetValue(always) && settings.DraftCostCheck
                ? await CompletionEngine.LoadAsync(settings with { DraftCostCheck = false }, logging.CreateLogger("bench"), cancellationToken: cancellationToken)
                : null;
            var options = new RunOptions(result.GetValue(runs), result.GetValue(tokens), result.GetValue(singleLine));
            return await Run(speculative, everyPass, prompts, options, cancellationToken) ? 0 : 2;
        }));
        return command;
    }

    private sealed record RunOptions(int Runs, int Tokens, bool SingleLine);

    /// <summary>Prints the table; false when any output differed from the target alone's.</summary>
    private static async Task<bool> Run(CompletionEngine engine, CompletionEngine? everyPass, List<(string Name, string Prefix, string Suffix)> prompts, RunOptions options, CancellationToken cancellationToken)
    {
        var info = engine.Info;
        var settings = engine.Model.Settings;
        Console.WriteLine($"target {info.ModelName} ({Path.GetFileName(info.ModelPath)}), draft {info.DraftModelName} ({Path.GetFileName(settings.DraftModelPath)}); KV {Atlas.Engine.Loading.KvCachePlan.Name(info.KvCache)}, context {info.ContextSize}");
        Console.WriteLine($"draft max {settings.DraftMax}, draft min {settings.DraftMin}, p-min {settings.DraftMinProbability}, adaptive {(settings.DraftAdaptive ? "on" : "off")}, cost check {(settings.DraftCostCheck ? "on" : "off")}, draft threads {settings.DraftThreads}, draft KV {Atlas.Engine.Loading.KvCachePlan.Name(settings.DraftKvCache)}, tie margin {settings.TieMargin}");
        Console.WriteLine($"{options.Tokens} tokens per run{(options.SingleLine ? " (single line)" : "")}, {options.Runs} alternating runs per prompt (medians)");
        if (engine.DraftCosts is { } costs) PrintCosts(costs, settings.DraftMax);
        Console.WriteLine();
        var header = $"{"prompt",-12} {"alone tok/s",12} {"draft tok/s",12} {"speedup",8} {"accepted",9} {"tok/pass",9} {"request",8} {"identical",10}";
        if (everyPass is not null) header += $" {"every-pass tok/s",17} {"speedup",8}";
        Console.WriteLine(header);

        var identity = new IdentityTally();
        var speedups = new List<double>();
        var requestSpeedups = new List<double>();
        var everySpeedups = new List<double>();
        var acceptances = new List<double>();
        var perPasses = new List<double>();
        foreach (var (name, prefix, suffix) in prompts)
        {
            var alone = new List<double>();
            var drafted = new List<double>();
            var aloneMs = new List<double>();
            var draftedMs = new List<double>();
            var every = new List<double>();
            var acceptance = new List<double>();
            var perPass = new List<double>();
            var identical = true;
            string? divergence = null;
            for (var run = 0; run < options.Runs; run++)
            {
                var request = new CompletionRequest
                {
                    Prefix = prefix, Suffix = suffix, MaxTokens = options.Tokens, SingleLine = options.SingleLine,
                    TimeBudget = TimeSpan.FromMinutes(5), RecordDecisions = true,
                };
                // The ways take turns going first, so none of them always meets a busy machine. Each starts from an empty
                // cache: a prompt found in the cache has its last token decoded alone, a cold one in a batch, and that
                // alone can move a near-tie; comparing from the same state shows what speculation changes.
                var ways = new List<Func<Task<Atlas.Engine.Completion>>>
                {
                    async () => { await engine.ForgetCacheAsync(cancellationToken); return await engine.CompleteAsync(request with { UseDraft = false }, cancellationToken); },
                    async () => { await engine.ForgetCacheAsync(cancellationToken); return await engine.CompleteAsync(request, cancellationToken); },
                };
                if (everyPass is not null) ways.Add(async () => { await everyPass.ForgetCacheAsync(cancellationToken); return await everyPass.CompleteAsync(request, cancellationToken); });
                var results = new Atlas.Engine.Completion[ways.Count];
                for (var i = 0; i < ways.Count; i++)
                {
                    var way = (i + run) % ways.Count;
                    results[way] = await ways[way]();
                }
                var (a, d) = (results[0], results[1]);
                alone.Add(a.Timings.TokensPerSecond);
                drafted.Add(d.Timings.TokensPerSecond);
                aloneMs.Add(a.Timings.PromptMs + a.Timings.GenerationMs);
                draftedMs.Add(d.Timings.PromptMs + d.Timings.GenerationMs);
                if (everyPass is not null) every.Add(results[2].Timings.TokensPerSecond);
                if (d.Timings.Drafted > 0) acceptance.Add(d.Timings.AcceptanceRate);
                perPass.Add(d.Timings.TokensPerTargetPass);
                for (var w = 1; w < results.Length; w++)
                {
                    var parted = identity.Compare(engine.Model, w == 1 ? "speculative" : "drafting every pass", a, results[w]);
                    if (parted is not null)
                    {
                        identical = false;
                        divergence ??= parted;
                    }
                }
            }
            var speedup = Stats.Median(drafted) / Stats.Median(alone);
            var requestSpeedup = Stats.Median(aloneMs) / Stats.Median(draftedMs);
            speedups.Add(speedup);
            requestSpeedups.Add(requestSpeedup);
            if (acceptance.Count > 0) acceptances.Add(Stats.Median(acceptance));
            perPasses.Add(Stats.Median(perPass));
            var line = $"{Short(name),-12} {Stats.Median(alone),12:F1} {Stats.Median(drafted),12:F1} {speedup,7:F2}x {(acceptance.Count > 0 ? Stats.Median(acceptance).ToString("P0") : "-"),9} {Stats.Median(perPass),9:F2} {requestSpeedup,7:F2}x {(identical ? "yes" : "NO"),10}";
            if (everyPass is not null)
            {
                var everySpeedup = Stats.Median(every) / Stats.Median(alone);
                everySpeedups.Add(everySpeedup);
                line += $" {Stats.Median(every),17:F1} {everySpeedup,7:F2}x";
            }
            Console.WriteLine(line);
            if (divergence is not null) Console.WriteLine($"    {divergence}");
        }
        Console.WriteLine();
        Console.WriteLine("speedup: generation tokens/s against the target alone's; request: the whole request (prompt, the draft's share of it too, and generation), from a cold cache.");
        Console.WriteLine($"median over {prompts.Count} prompts: speedup {Stats.Median(speedups):F2}x, request {Stats.Median(requestSpeedups):F2}x, acceptance {(acceptances.Count > 0 ? Stats.Median(acceptances).ToString("P0") : "-")}, tokens per target pass {Stats.Median(perPasses):F2}" +
            (everyPass is not null ? $"; drafting every pass {Stats.Median(everySpeedups):F2}x" : ""));
        if (engine.DraftOutlook is { } outlook)
            Console.WriteLine($"planner after the run: draft confident {outlook.Odds.Confident:P0}, accepted {outlook.Odds.Accepted:P0}; best draft length {outlook.Length}, expected {outlook.Gain:F2}x; draft step {outlook.Costs.DraftRatio:F2} of a target step");
        identity.Print(settings.TieMargin);
        return identity.Divergences == 0;
    }

    /// <summary>The measured costs and what acceptance they need to pay.</summary>
    private static void PrintCosts(DecodeCosts costs, int draftMax)
    {
        Console.WriteLine($"costs at load: target step {costs.TargetStep * 1000:F2} ms, draft step {costs.Draft * 1000:F2} ms (c = {costs.DraftRatio:F2}); " +
            "verifying k drafted tokens costs " + string.Join(", ", new[] { 1, 2, 4, 8, 16 }.Where(k => k <= draftMax).Select(k => $"k={k}: {costs.TargetCall(k + 1) / costs.TargetStep:F2}")) + " target steps");
        Console.WriteLine("break-even acceptance with a confident draft: " + string.Join(", ", new[] { 1, 2, 4, 8, 16 }.Where(k => k <= draftMax).Select(k =>
            SpeculationMath.BreakEvenAcceptance(costs, k) is var a && double.IsNaN(a) ? $"k={k}: never" : $"k={k}: {a:P0}")));
    }

    private static string Short(string name) => name.Length <= 12 ? name : name[..12];

    /// <summary>
    /// Compares outputs token by token; where two agree, how much the logits of batched decisions moved against the
    /// single-token ones (the cause of divergence), and how often a near-tie was decided again.
    /// </summary>
    private sealed class IdentityTally
    {
        private readonly List<double> _gapShifts = [];
        private readonly List<double> _logitShifts = [];
        private readonly List<double> _laterShifts = [];
        private readonly Dictionary<string, (int Comparisons, int Divergences)> _byWay = [];
        private int _decisions, _redecided;

        public int Divergences => _byWay.Values.Sum(w => w.Divergences);

        /// <summary>Null when the tokens are the same; else where and how they parted.</summary>
        public string? Compare(Atlas.Engine.Loading.LoadedModel model, string way, Atlas.Engine.Completion alone, Atlas.Engine.Completion other)
        {
            var tally = _byWay.GetValueOrDefault(way);
            tally.Comparisons++;
            _byWay[way] = tally;
            var a = alone.Decisions ?? [];
            var b = other.Decisions ?? [];
            var common = Math.Min(alone.Tokens.Count, other.Tokens.Count);
            var first = -1;
            for (var i = 0; i < common; i++)
                if (alone.Tokens[i] != other.Tokens[i]) { first = i; break; }
            if (first < 0 && alone.Tokens.Count != other.Tokens.Count) first = common;
            var agreed = first < 0 ? Math.Min(a.Count, b.Count) : Math.Min(first + 1, Math.Min(a.Count, b.Count));
            for (var i = 0; i < agreed; i++)
            {
                _decisions++;
                if (b[i].Redecided) _redecided++;
                if (a[i].BatchTokens != 1 || a[i].Choice.Token != b[i].Choice.Token || i == 0) continue;
                // A batched decision against the single-token one shows the kernels' difference (and the cache's); a
                // single-token decision after batched ones shows what the cache alone carries over.
                if (b[i].BatchTokens > 1)
                {
                    _gapShifts.Add(Math.Abs(a[i].Choice.Gap - b[i].Choice.Gap));
                    _logitShifts.Add(Math.Abs(a[i].Choice.Logit - b[i].Choice.Logit));
                }
                else _laterShifts.Add(Math.Abs(a[i].Choice.Gap - b[i].Choice.Gap));
            }
            if (first < 0) return null;
            _byWay[way] = (tally.Comparisons, tally.Divergences + 1);
            if (first >= a.Count || first >= b.Count) return $"outputs part at token {first} (one stopped: {alone.StopReason} against {other.StopReason})";
            var (x, y) = (a[first], b[first]);
            string Text(int token) => JsonSerializer.Serialize(model.Detokenize([token]));
            return $"first difference at token {first}: alone chose {x.Choice.Token} {Text(x.Choice.Token)} (logit {x.Choice.Logit:F5}; runner-up {x.Choice.RunnerUp} at {x.Choice.RunnerUpLogit:F5}; batch of {x.BatchTokens}), " +
                $"speculative chose {y.Choice.Token} {Text(y.Choice.Token)} (logit {y.Choice.Logit:F5}; runner-up {y.Choice.RunnerUp} at {y.Choice.RunnerUpLogit:F5}; batch of {y.BatchTokens}{(y.Redecided ? ", re-decided" : "")})";
        }

        public void Print(float tieMargin)
        {
            foreach (var (way, (comparisons, divergences)) in _byWay)
                Console.WriteLine($"identity, {way}: {comparisons - divergences} of {comparisons} outputs identical to the target alone ({divergences} diverged)");
            Console.WriteLine($"{_redecided} of {_decisions} agreed decisions were near-ties (gap < {tieMargin}) decided again from a single-token step");
            if (_gapShifts.Count > 0)
                Console.WriteLine($"batched against single-token logits, {_gapShifts.Count} decisions: top-two gap moved by median {Stats.Median(_gapShifts):E1}, p99 {Stats.Percentile(_gapShifts, 99):E1}, at most {_gapShifts.Max():E1}; chosen logit by median {Stats.Median(_logitShifts):E1}, at most {_logitShifts.Max():E1}");
            if (_laterShifts.Count > 0)
                Console.WriteLine($"single-token decisions after batched tokens (the cache's share), {_laterShifts.Count} decisions: top-two gap moved by median {Stats.Median(_laterShifts):E1}, p99 {Stats.Percentile(_laterShifts, 99):E1}, at most {_laterShifts.Max():E1}");
        }
    }
}
