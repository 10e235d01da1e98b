using System.CommandLine;
using Atlas.Engine;
using Atlas.Engine.Loading;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench engine`: cold prompt time, warm time after a one-character edit (prompt-cache reuse),
/// generation speed, and the KV cache's size for f16 against q8_0 at 8k and 32k tokens.
/// </summary>
internal static class EngineBench
{
    public static Command Create()
    {
        var engine = new EngineOptions();
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 5, Description = "Repetitions per figure (the median is printed)." };
        var lines = new Option<int>("--prompt-lines") { DefaultValueFactory = _ => 300, Description = "Lines of sample code before the cursor." };
        var command = new Command("engine", "Prompt, cache-reuse, generation and KV-cache figures for one model.");
        engine.AddTo(command);
        command.Options.Add(runs);
        command.Options.Add(lines);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            var logger = logging.CreateLogger("bench");
            var settings = engine.Read(result);
            using var loaded = await CompletionEngine.LoadAsync(settings, logger, cancellationToken: cancellationToken);
            await Run(loaded, result.GetValue(runs), result.GetValue(lines), logger, cancellationToken);
            return 0;
        }));
        return command;
    }

    private static async Task Run(CompletionEngine engine, int runs, int promptLines, ILogger logger, CancellationToken cancellationToken)
    {
        var info = engine.Info;
        Console.WriteLine($"model        {info.ModelName} ({Path.GetFileName(info.ModelPath)})");
        Console.WriteLine($"fim family   {info.Family}; KV cache {KvCachePlan.Name(info.KvCache)}; context {info.ContextSize} tokens; {runs} runs per figure (median)");

        var code = SampleCode.Lines(promptLines + 20);
        var cut = NthLineStart(code, promptLines);
        var prefix = code[..cut] + "    public int Count";
        var suffix = code[cut..NthLineStart(code, promptLines + 12)];

        var cold = new List<double>();
        var promptTokens = 0;
        for (var i = 0; i < runs; i++)
        {
            await engine.ForgetCacheAsync(cancellationToken);
            var c = await engine.CompleteAsync(new CompletionRequest { Prefix = prefix, Suffix = suffix, MaxTokens = 1 }, cancellationToken);
            cold.Add(c.Timings.PromptMs);
            promptTokens = c.Timings.PromptTokens;
        }

        // Typing: each run adds one character to the prefix, as a user does between two requests.
        var warm = new List<double>();
        var evaluated = new List<double>();
        var typed = prefix;
        await engine.CompleteAsync(new CompletionRequest { Prefix = typed, Suffix = suffix, MaxTokens = 1 }, cancellationToken);
        for (var i = 0; i < runs; i++)
        {
            typed += "abcdefghij"[i % 10];
            var c = await engine.CompleteAsync(new CompletionRequest { Prefix = typed, Suffix = suffix, MaxTokens = 1 }, cancellationToken);
            warm.Add(c.Timings.PromptMs);
            evaluated.Add(c.Timings.TokensEvaluated);
        }

        var speed = new List<double>();
        var generatedCounts = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var c = await engine.CompleteAsync(new CompletionRequest { Prefix = prefix, Suffix = suffix, MaxTokens = 64, TimeBudget = TimeSpan.FromSeconds(30) }, cancellationToken);
            if (c.Timings.TokensGenerated > 1) speed.Add(c.Timings.TokensPerSecond);
            generatedCounts.Add(c.Timings.TokensGenerated);
        }

        Console.WriteLine();
        Console.WriteLine($"cold prompt            {Stats.Median(cold),9:F1} ms   ({promptTokens} prompt tokens, {promptTokens / (Stats.Median(cold) / 1000):F0} tok/s)");
        Console.WriteLine($"warm, 1-char edit      {Stats.Median(warm),9:F1} ms   ({Stats.Median(evaluated):F0} tokens evaluated, {promptTokens - Stats.Median(evaluated):F0} reused)");
        Console.WriteLine($"cold / warm            {Stats.Median(cold) / Stats.Median(warm),9:F1} x");
        Console.WriteLine(speed.Count > 0
            ? $"generation             {Stats.Median(speed),9:F1} tok/s ({Stats.Median(generatedCounts):F0} tokens per run)"
            : "generation             the model stopped after one token every run; no speed to report");

        Console.WriteLine();
        Console.WriteLine("KV cache (llama.cpp's own accounting)");
        foreach (var context in new[] { 8192, 32768 })
        {
            var (f16, _) = KvCacheFootprint.Measure(engine.Model, KvCacheType.F16, context, logger);
            var (q8, effective) = KvCacheFootprint.Measure(engine.Model, KvCacheType.Q8_0, context, logger);
            var note = effective == KvCacheType.Q8_0 ? "" : "   (this model's head size cannot take q8_0: it falls back to f16)";
            Console.WriteLine($"  {context / 1024,2}k tokens   f16 {Mib(f16),9}   q8_0 {Mib(q8),9}   q8_0/f16 {Ratio(q8, f16)}{note}");
        }
    }

    private static string Mib(long? bytes) => bytes is { } b ? $"{b / 1048576.0:F1} MiB" : "n/a";
    private static string Ratio(long? a, long? b) => a is { } x && b is { } y && y > 0 ? $"{(double)x / y:F3}" : "n/a";

    private static int NthLineStart(string text, int line)
    {
        var offset = 0;
        for (var i = 0; i < line && offset >= 0; i++)
            offset = text.IndexOf('\n', offset) + 1;
        return offset <= 0 ? text.Length : offset;
    }
}
