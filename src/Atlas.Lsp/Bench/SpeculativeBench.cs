using System.CommandLine;
using Atlas.Engine;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench speculative`: generation speed of the target alone against the target with its draft, over a
/// fixed set of code prompts, measured alternately in one run; acceptance rate; and whether the outputs were identical.
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
        var command = new Command("speculative", "Target alone against target with draft: tokens/s, speedup, acceptance, identical output.");
        engine.AddTo(command);
        command.Options.Add(runs);
        command.Options.Add(tokens);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            var settings = engine.Read(result);
            if (settings.DraftModelPath is null) throw new UserError("bench speculative needs --draft PATH.");
            // Two engines on the same files, fixed and adaptive draft length, so both are measured side by side.
            using var fixedLength = await CompletionEngine.LoadAsync(settings with { DraftAdaptive = false }, logging.CreateLogger("bench"), cancellationToken: cancellationToken);
            if (!fixedLength.HasDraft) throw new UserError(fixedLength.DraftProblem ?? "The draft model could not be used.");
            using var adaptive = await CompletionEngine.LoadAsync(settings with { DraftAdaptive = true }, logging.CreateLogger("bench"), cancellationToken: cancellationToken);
            return await Run(fixedLength, adaptive, result.GetValue(runs), result.GetValue(tokens), cancellationToken) ? 0 : 2;
        }));
        return command;
    }

    /// <summary>Prints the table; false when any output differed (the invariant is broken).</summary>
    private static async Task<bool> Run(CompletionEngine engine, CompletionEngine adaptive, int runs, int tokens, CancellationToken cancellationToken)
    {
        var info = engine.Info;
        var settings = engine.Model.Settings;
        Console.WriteLine($"target {info.ModelName} ({Path.GetFileName(info.ModelPath)}), draft {info.DraftModelName} ({Path.GetFileName(settings.DraftModelPath)})");
        Console.WriteLine($"draft max {settings.DraftMax}, draft min {settings.DraftMin}, p-min {settings.DraftMinProbability}; {tokens} tokens per run, {runs} alternating runs per prompt (medians)");
        Console.WriteLine();
        Console.WriteLine($"{"prompt",-10} {"alone tok/s",12} {"draft tok/s",12} {"speedup",8} {"accepted",9} {"tok/pass",9} {"adaptive tok/s",15} {"adaptive/draft",15} {"identical",10}");

        var allIdentical = true;
        var speedups = new List<double>();
        var adaptiveGains = new List<double>();
        foreach (var (name, prefix, suffix) in Prompts)
        {
            var alone = new List<double>();
            var drafted = new List<double>();
            var adapted = new List<double>();
            var acceptance = new List<double>();
            var perPass = new List<double>();
            var identical = true;
            for (var run = 0; run < runs; run++)
            {
                var request = new CompletionRequest { Prefix = prefix, Suffix = suffix, MaxTokens = tokens, TimeBudget = TimeSpan.FromMinutes(5) };
                // The three ways take turns going first, so none of them always meets a cold cache or a busy machine.
                var ways = new Func<Task<Atlas.Engine.Completion>>[]
                {
                    () => engine.CompleteAsync(request with { UseDraft = false }, cancellationToken),
                    () => engine.CompleteAsync(request, cancellationToken),
                    () => adaptive.CompleteAsync(request, cancellationToken),
                };
                var results = new Atlas.Engine.Completion[ways.Length];
                for (var i = 0; i < ways.Length; i++)
                {
                    var way = (i + run) % ways.Length;
                    results[way] = await ways[way]();
                }
                var (a, d, ad) = (results[0], results[1], results[2]);
                alone.Add(a.Timings.TokensPerSecond);
                drafted.Add(d.Timings.TokensPerSecond);
                adapted.Add(ad.Timings.TokensPerSecond);
                acceptance.Add(d.Timings.AcceptanceRate);
                perPass.Add(d.Timings.TokensPerTargetPass);
                identical &= a.Tokens.SequenceEqual(d.Tokens) && a.Tokens.SequenceEqual(ad.Tokens);
            }
            var speedup = Stats.Median(drafted) / Stats.Median(alone);
            var gain = Stats.Median(adapted) / Stats.Median(drafted);
            speedups.Add(speedup);
            adaptiveGains.Add(gain);
            allIdentical &= identical;
            Console.WriteLine($"{name,-10} {Stats.Median(alone),12:F1} {Stats.Median(drafted),12:F1} {speedup,7:F2}x {Stats.Median(acceptance),9:P0} {Stats.Median(perPass),9:F2} {Stats.Median(adapted),15:F1} {gain,14:F2}x {(identical ? "yes" : "NO"),10}");
        }
        Console.WriteLine();
        Console.WriteLine($"median speedup {Stats.Median(speedups):F2}x; adaptive draft length against fixed {Stats.Median(adaptiveGains):F2}x; outputs identical to the target alone: {(allIdentical ? "yes" : "NO")}");
        return allIdentical;
    }
}
