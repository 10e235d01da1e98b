using System.CommandLine;
using Atlas.Engine;
using Atlas.Engine.Decoding;
using Atlas.Engine.Loading;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench decode`: where the time of one decode call goes, for the target and the draft, in each way a
/// context can be made (threads, flash attention, KV cache type): Atlas's batch set-up, LLamaSharp's marshalling,
/// llama_decode, the logits read, argmax and the draft's probability test; and a call's cost by batch size, which is
/// what verifying a draft of that length costs. These are the figures speculative decoding's break-even rests on.
/// </summary>
internal static class DecodeBench
{
    public static Command Create()
    {
        var engine = new EngineOptions();
        var calls = new Option<int>("--calls") { DefaultValueFactory = _ => 100, Description = "Timed calls per figure (the median is printed)." };
        var promptTokens = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 1000, Description = "Tokens in the KV cache before the timed calls." };
        var grid = new Option<bool>("--grid") { Description = "Every variant: each thread count from the machine's down to 1, flash attention on and off, KV q8_0 and f16 (default: the engine's own contexts only)." };
        var command = new Command("decode", "One decode call by phases, per model and context variant; cost by batch size.");
        engine.AddTo(command);
        command.Options.Add(calls);
        command.Options.Add(promptTokens);
        command.Options.Add(grid);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            var logger = logging.CreateLogger("bench");
            var settings = engine.Read(result);
            using var loaded = await CompletionEngine.LoadAsync(settings, logger, cancellationToken: cancellationToken);
            var models = new List<LoadedModel> { loaded.Model };
            if (loaded.DraftModel is { } draft) models.Add(draft);
            var prompt = loaded.Model.Tokenize(SampleCode.Lines(400)).Select(t => (int)t).Take(result.GetValue(promptTokens)).ToList();
            var n = result.GetValue(calls);
            int[] sizes = [1, 2, 3, 5, 9, 17];
            var threads = settings.Threads ?? Environment.ProcessorCount;
            Console.WriteLine($"{prompt.Count} tokens in the cache; {n} calls per figure (medians, µs); llama.cpp: {CompletionEngine.NativeSystemInfo}");
            Console.WriteLine();
            Console.WriteLine($"{"model",-22} {"variant",-28} {"set-up",7} {"marshal",8} {"decode",8} {"graph",7} {"logits",7} {"argmax",7} {"softmax",8} {"p-test",7} {"step",8}   " + string.Join(" ", sizes.Select(s => $"{"n=" + s,7}")));
            // Every probe takes one turn per round, so a busy machine weighs on all of them alike.
            var probes = new List<(string Model, DecodeProbe Probe)>();
            try
            {
                foreach (var model in models)
                {
                    if (!result.GetValue(grid))
                    {
                        // The contexts the engine makes: the target's threads and cache with flash attention, the draft's own.
                        probes.Add((model.Name, new DecodeProbe(model, prompt, model == loaded.Model
                            ? new DecodeVariant(threads, true, loaded.Info.KvCache)
                            : new DecodeVariant(settings.DraftThreads, settings.DraftKvCache != KvCacheType.F16, settings.DraftKvCache), sizes, logger)));
                        continue;
                    }
                    foreach (var t in Enumerable.Range(1, threads).Reverse())
                        foreach (var (fa, kv) in new[] { (true, KvCacheType.Q8_0), (true, KvCacheType.F16), (false, KvCacheType.F16) })
                            probes.Add((model.Name, new DecodeProbe(model, prompt, new DecodeVariant(t, fa, kv), sizes, logger)));
                }
                for (var round = 0; round < n; round++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var (_, probe) in probes) probe.Sample();
                }
                foreach (var (name, probe) in probes)
                {
                    var f = probe.Figures();
                    var step = f.NativeDecodeUs + f.LogitsUs + f.ArgMaxUs;
                    Console.WriteLine($"{name,-22} {f.Variant,-28} {f.SetupUs,7:F1} {f.MarshalUs,8:F1} {f.NativeDecodeUs,8:F1} {f.GraphUs,7:F1} {f.LogitsUs,7:F1} {f.ArgMaxUs,7:F1} {f.SoftmaxUs,8:F1} {f.TopTestUs,7:F1} {step,8:F1}   " + string.Join(" ", f.Batches.Select(b => $"{b.Us,7:F0}")));
                }
            }
            finally
            {
                foreach (var (_, probe) in probes) probe.Dispose();
            }
            Console.WriteLine();
            Console.WriteLine("set-up: filling LLamaSharp's batch in C#; marshal: LLamaSharp pinning it for the call; decode: llama_decode alone, its graph reused;");
            Console.WriteLine("graph: what the same call adds when the batch size changed since the last one (llama.cpp builds its graph again);");
            Console.WriteLine("logits: the span of the last row; argmax over the vocabulary; softmax: the full-vocabulary probability the draft used;");
            Console.WriteLine("p-test: the bounded test of the top probability against 0.75; step: a single-token step as Atlas takes it (decode, logits, argmax);");
            Console.WriteLine("n=k: one call of k tokens with logits for each, after a call of another size (graph built again), as a draft's verification is.");
            return 0;
        }));
        return command;
    }
}
