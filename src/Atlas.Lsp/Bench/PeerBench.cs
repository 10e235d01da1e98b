using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Engine;
using Atlas.Engine.Loading;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench peer`: the same FIM requests on the same GGUF, threads, context and KV cache type, through Atlas's
/// engine and through node-llama-cpp (the prebuilt llama.cpp many local-completion tools use), measured alternately
/// in one run. Prompt sets: a cold prompt, a one-character edit of a warm prompt, and a long file. With `--draft`, both
/// decode speculatively with the same draft model and draft length: Atlas with its own verifier, the peer with
/// node-llama-cpp's DraftSequenceTokenPredictor.
/// </summary>
internal static class PeerBench
{
    public static Command Create()
    {
        var engine = new EngineOptions();
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 5, Description = "Alternating runs per prompt set (medians are printed)." };
        var tokens = new Option<int>("--tokens") { DefaultValueFactory = _ => 32, Description = "Tokens to generate per request." };
        var sets = new Option<string[]>("--sets") { DefaultValueFactory = _ => ["cold", "edit", "long", "cases", "case-edit"], Description = "Prompt sets to run: cold, edit, long; with --cases also cases (each case's prompt, cold) and case-edit (a one-character edit of it, warm).", AllowMultipleArgumentsPerToken = true };
        var cases = new Option<string?>("--cases") { Description = "A JSON-lines file of completion cases (../shared/eval's format): real prompts for the sets cases and case-edit." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 10, Description = "Cases used from --cases (one request per case and side)." };
        var command = new Command("peer", "Atlas against node-llama-cpp on the same prompts: median latency and the ratio Atlas/peer.");
        engine.AddTo(command);
        command.Options.Add(runs);
        command.Options.Add(tokens);
        command.Options.Add(sets);
        command.Options.Add(cases);
        command.Options.Add(limit);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var settings = engine.Read(result) with { Threads = result.GetValue(engine.Threads) ?? Environment.ProcessorCount };
            using var logging = StderrLogging.Create(LogLevel.Warning);
            using var atlas = await CompletionEngine.LoadAsync(settings, logging.CreateLogger("bench"), cancellationToken: cancellationToken);
            // The peer drafts only if Atlas does (Atlas refuses a draft whose vocabulary differs from the target's).
            using var peer = await Peer.StartAsync(settings with
            {
                ContextSize = atlas.Info.ContextSize, KvCache = atlas.Info.KvCache,
                DraftModelPath = atlas.Info.DraftModelName is null ? null : settings.DraftModelPath,
            }, cancellationToken);
            var real = result.GetValue(cases) is { } path ? Quality.QualityCases.Load(path).Take(result.GetValue(limit)).Select(c => c.Around()).ToList() : [];
            await Run(atlas, peer, settings, result.GetValue(runs), result.GetValue(tokens), result.GetValue(sets)!, real, cancellationToken);
            return 0;
        }));
        return command;
    }

    private static async Task Run(CompletionEngine atlas, Peer peer, EngineSettings settings, int runs, int tokens, string[] only, List<(string Prefix, string Suffix)> cases, CancellationToken cancellationToken)
    {
        var info = atlas.Info;
        Console.WriteLine($"model {info.ModelName} ({Path.GetFileName(info.ModelPath)}); FIM {info.Family} (peer infill: {(peer.Infill ? "yes" : "no, plain completion")}); context {info.ContextSize}, KV {KvCachePlan.Name(info.KvCache)}, {peer.Threads} threads, {tokens} tokens per request, greedy");
        Console.WriteLine($"peer: node-llama-cpp {peer.Version}; Atlas: LLamaSharp 0.30.0; {runs} alternating runs per set (medians)");
        var drafting = info.DraftModelName is not null;
        if (drafting)
            Console.WriteLine($"speculative on both sides: draft {info.DraftModelName}, at most {settings.DraftMax} tokens per draft, min probability {settings.DraftMinProbability:0.##}");
        // Both are llama.cpp, built differently: the CPU features each build uses explain most of a difference in speed.
        Console.WriteLine($"Atlas's llama.cpp: {CompletionEngine.NativeSystemInfo}");
        Console.WriteLine($"peer's llama.cpp:  {peer.SystemInfo}");
        Console.WriteLine();
        Console.WriteLine($"{"prompt set",-22} {"Atlas ms",10} {"peer ms",10} {"Atlas/peer",11} {"tokens A/P",11} {"identical",10}" + (drafting ? $" {"accepted A/P",13}" : ""));

        var code = SampleCode.Lines(1200);
        var mid = code.Length / 3;
        var set = new (string Key, string Name, int Runs, Func<int, (string Prefix, string Suffix, bool Fresh, string? WarmPrefix)> Make)[]
        {
            ("cold", "cold prompt", runs, run => (Cut(code, mid + run * 7).Prefix[^Math.Min(6000, mid)..], Cut(code, mid).Suffix[..400], true, null)),
            ("edit", "one-character edit", runs, run => { var p = code[..(mid + run * 7)][^6000..]; return (p + "x", code[mid..][..400], false, p); }),
            ("long", "long file", runs, run => (code[..(code.Length * 2 / 3 + run * 7)][^Math.Min(24000, code.Length * 2 / 3)..], code[(code.Length * 2 / 3)..][..400], true, null)),
            // Real C# files around real cursors, each case once per side: cold, and as the last character before the
            // cursor typed over a warm cache holding the prompt without it.
            ("cases", $"{cases.Count} C# cases, cold", cases.Count, run => (cases[run].Prefix, cases[run].Suffix, true, null)),
            ("case-edit", $"{cases.Count} C# cases, edit", cases.Count, run => (cases[run].Prefix, cases[run].Suffix, false, cases[run].Prefix.Length > 1 ? cases[run].Prefix[..^1] : null)),
        };
        foreach (var (key, name, setRuns, make) in set)
        {
            if (!only.Contains(key, StringComparer.OrdinalIgnoreCase) || setRuns == 0) continue;
            var atlasMs = new List<double>();
            var peerMs = new List<double>();
            var atlasTokens = new List<double>();
            var peerTokens = new List<double>();
            var identical = 0;
            long atlasDrafted = 0, atlasAccepted = 0, peerDrafted = 0, peerAccepted = 0;
            for (var run = 0; run < setRuns; run++)
            {
                var (prefix, suffix, fresh, warm) = make(run);
                string? atlasText = null, peerText = null;
                // Atlas first on even runs, the peer first on odd ones: both see the same machine.
                for (var side = 0; side < 2; side++)
                {
                    if ((side + run) % 2 == 0)
                    {
                        if (fresh) await atlas.ForgetCacheAsync(cancellationToken);
                        if (warm is not null) await atlas.CompleteAsync(new CompletionRequest { Prefix = warm, Suffix = suffix, MaxTokens = 1 }, cancellationToken);
                        var clock = Stopwatch.StartNew();
                        var c = await atlas.CompleteAsync(new CompletionRequest { Prefix = prefix, Suffix = suffix, MaxTokens = tokens, TimeBudget = TimeSpan.FromMinutes(5) }, cancellationToken);
                        atlasMs.Add(clock.Elapsed.TotalMilliseconds);
                        atlasTokens.Add(c.Timings.TokensGenerated);
                        atlasDrafted += c.Timings.Drafted;
                        atlasAccepted += c.Timings.DraftAccepted;
                        atlasText = c.Text;
                    }
                    else
                    {
                        if (warm is not null) await peer.CompleteAsync(warm, suffix, 1, fresh, cancellationToken);
                        var (ms, text, generated, validated, refuted) = await peer.CompleteAsync(prefix, suffix, tokens, fresh, cancellationToken);
                        peerDrafted += validated + refuted;
                        peerAccepted += validated;
                        peerMs.Add(ms);
                        peerTokens.Add(generated);
                        peerText = text;
                    }
                }
                var same = Same(atlasText!, peerText!);
                if (!same && identical == run)
                    Console.Error.WriteLine($"{name}: Atlas wrote {JsonSerializer.Serialize(atlasText)}, the peer {JsonSerializer.Serialize(peerText)}");
                if (same) identical++;
            }
            var counts = $"{Stats.Median(atlasTokens):F0}/{Stats.Median(peerTokens):F0}";
            var accepted = $"{Percent(atlasAccepted, atlasDrafted)}/{Percent(peerAccepted, peerDrafted)}";
            Console.WriteLine($"{name,-22} {Stats.Median(atlasMs),10:F1} {Stats.Median(peerMs),10:F1} {Stats.Median(atlasMs) / Stats.Median(peerMs),11:F2} {counts,11} {$"{identical}/{setRuns}",10}" + (drafting ? $" {accepted,13}" : ""));
        }
        Console.WriteLine();
        Console.WriteLine("Latency is a whole request (prompt evaluation and generation) as each engine's caller sees it; below 1 Atlas is faster.");
        Console.WriteLine("Tokens are the median generated by each (equal work when they match); identical: runs whose texts were the same.");
        if (drafting)
            Console.WriteLine("Accepted: drafted tokens the target agreed with, over all runs (the peer counts its validated and refuted predictions).");
    }

    private static (string Prefix, string Suffix) Cut(string code, int at) => (code[..at], code[at..]);

    /// <summary>
    /// The same text, or the same but for the one leading space node-llama-cpp's detokenizer drops from a
    /// SentencePiece answer's first piece ("▁et" is " et" at the cursor; Atlas keeps it, the peer gives "et").
    /// </summary>
    private static bool Same(string atlas, string peer) => atlas == peer || atlas == " " + peer;

    private static string Percent(long part, long whole) => whole > 0 ? $"{100.0 * part / whole:F0}%" : "-";

    /// <summary>The node-llama-cpp worker process.</summary>
    private sealed class Peer : IDisposable
    {
        private readonly Process _process;

        private Peer(Process process, bool infill, string version, int threads)
        {
            _process = process;
            Infill = infill;
            Version = version;
            Threads = threads;
        }

        public bool Infill { get; }
        public string Version { get; }
        public int Threads { get; }
        public string SystemInfo { get; private init; } = "";

        public static async Task<Peer> StartAsync(EngineSettings settings, CancellationToken cancellationToken)
        {
            var folder = FindWorker();
            var info = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, WorkingDirectory = folder };
            info.ArgumentList.Add("worker.mjs");
            Process process;
            try
            {
                process = Process.Start(info)!;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new UserError("bench peer needs Node.js on PATH.");
            }
            var threads = settings.Threads ?? Environment.ProcessorCount;
            var kv = settings.KvCache switch { KvCacheType.Q8_0 => "Q8_0", KvCacheType.Q4_0 => "Q4_0", _ => "F16" };
            var draft = settings.DraftModelPath is { } d ? Path.GetFullPath(d) : null;
            var answer = await Send(process, new
            {
                op = "load", model = Path.GetFullPath(settings.ModelPath), threads, contextSize = settings.ContextSize, kvCacheType = kv,
                draft, draftMax = settings.DraftMax, draftMin = settings.DraftMin, draftPMin = settings.DraftMinProbability,
            }, cancellationToken);
            return new Peer(process, (bool)answer["infill"]!, (string)answer["version"]!, threads) { SystemInfo = (string?)answer["systemInfo"] ?? "" };
        }

        /// <summary>One request; Validated and Refuted count the draft's predictions (0 without a draft).</summary>
        public async Task<(double Ms, string Text, int Tokens, int Validated, int Refuted)> CompleteAsync(string prefix, string suffix, int maxTokens, bool fresh, CancellationToken cancellationToken)
        {
            var answer = await Send(_process, new { op = "complete", prefix, suffix, maxTokens, fresh }, cancellationToken);
            return ((double)answer["ms"]!, (string)answer["text"]!, (int)answer["tokens"]!, (int?)answer["validated"] ?? 0, (int?)answer["refuted"] ?? 0);
        }

        private static async Task<JsonNode> Send(Process process, object message, CancellationToken cancellationToken)
        {
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(message).AsMemory(), cancellationToken);
            await process.StandardInput.FlushAsync(cancellationToken);
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new UserError("The node-llama-cpp worker exited; install it with: npm install --prefix tests/peer/node-llama-cpp");
            var answer = JsonNode.Parse(line)!;
            if (answer["error"] is { } error) throw new UserError($"node-llama-cpp: {error}");
            return answer;
        }

        private static string FindWorker()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "peer", "node-llama-cpp");
                if (File.Exists(Path.Combine(candidate, "worker.mjs")))
                    return Directory.Exists(Path.Combine(candidate, "node_modules", "node-llama-cpp"))
                        ? candidate
                        : throw new UserError($"node-llama-cpp is not installed: run `npm install --prefix {Path.GetRelativePath(Environment.CurrentDirectory, candidate)}`.");
            }
            throw new UserError("tests/peer/node-llama-cpp/worker.mjs not found above the executable.");
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000)) _process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }
}
