using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Completion;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Atlas.Lsp.Server;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench lsp`: what the server adds to a completion. The real server runs in-process over pipes; a
/// client types into a 5,000-line file, one character per request. Printed: the server-side overhead per request
/// (end-to-end time less the engine's own time), p50/p95; the latency of a cold request, of the next keystroke (the
/// previous prompt's KV cache reused) and of a character typed as suggested (the suggestion cache); and end-to-end
/// latency against direct engine calls on the same kind of edit, alternated in one run.
/// </summary>
internal static class LspBench
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Path to a GGUF model file.", Required = true };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 30, Description = "Requests per figure." };
        var settings = new Option<string?>("--settings") { Description = "More atlas settings as a JSON object, e.g. '{\"threads\":1}'." };
        var rhythm = new Option<int>("--typing")
        {
            DefaultValueFactory = _ => 150,
            Description = "Characters typed per session at a person's rhythm, to count model runs with and without the debounce (0: skip).",
        };
        var load = new Option<int>("--load")
        {
            DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount / 2),
            Description = "Busy threads of a competing process started for a second round under CPU load (0: no second round).",
        };
        var command = new Command("lsp", "Server overhead per completion (p50/p95), warm LSP latency against a direct engine call, idle and under a competing CPU load.");
        command.Options.Add(model);
        command.Options.Add(runs);
        command.Options.Add(settings);
        command.Options.Add(load);
        command.Options.Add(rhythm);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            await Run(result.GetValue(model)!, result.GetValue(runs), result.GetValue(settings), result.GetValue(load), result.GetValue(rhythm), cancellationToken);
            return 0;
        }));
        return command;
    }

    private static async Task Run(string modelPath, int runs, string? extraSettings, int loadThreads, int rhythmChars, CancellationToken cancellationToken)
    {
        using var logging = StderrLogging.Create(LogLevel.Warning);
        using var host = new ServerHost(logging);
        await using var session = PipeSession.Start(host, cancellationToken);
        var client = session.Client;
        Suggestion? last = null;
        host.Server.OnSuggestion = s => last = s;

        // The rounds below measure the model's path: no debounce, nothing made ahead. The typing-rhythm and after-accept
        // rounds switch each on and off themselves.
        var settings = new JsonObject { ["model"] = modelPath, ["maxTokens"] = 16, ["completionMode"] = "single", ["debounce"] = 0, ["precomputeNext"] = false };
        if (extraSettings is not null)
        {
            var extra = JsonNode.Parse(extraSettings) as JsonObject ?? throw new UserError("--settings must be a JSON object.");
            foreach (var (key, value) in extra) settings[key] = value?.DeepClone();
        }
        await client.Request("initialize", new { capabilities = new { }, initializationOptions = new { atlas = settings } });
        await client.Notify("initialized", new { });
        // Any request is handled after initialized, which starts the load; then the load can be awaited.
        await client.Request("textDocument/completion", At("file:///not-open", 0, 0));
        var engine = await host.Models.EngineAsync(cancellationToken) ?? throw new UserError(host.Models.Problem ?? "The model did not load.");

        var code = SampleCode.Lines(5000);
        var line = code[..(code.Length / 2)].Count(c => c == '\n');
        code = code.Insert(NthLineStart(code, line), "\n");
        const string uri = "file:///bench/Inventory.cs";
        await client.Notify("textDocument/didOpen", new { textDocument = new { uri, languageId = "csharp", version = 1, text = code } });
        var document = new TextDocument(uri, "csharp", 1, code);

        const string typing = "    var totalCount = inventory.Items.Where(item => item.Total() > 0).Sum(item => item.Total()); var average = totalCount / inventory.Items.Count; var label = $\"{average:F2}\";";
        await client.Request("textDocument/inlineCompletion", At(uri, line, 0)); // warm: the whole prompt is in the KV cache

        var column = 0;
        var version = 1;
        string? shown = null;
        (int Line, int Column) acceptedAt = (0, 0);
        async Task Type(char c, bool notify = true)
        {
            // One character, in the editor and in our copy; an accept sends its characters as one change (SendWhole).
            if (notify)
            {
                version++;
                await client.Notify("textDocument/didChange", new
                {
                    textDocument = new { uri, version },
                    contentChanges = new object[] { new { range = new { start = new { line, character = column }, end = new { line, character = column } }, text = c.ToString() } },
                });
            }
            else if (acceptedAt == (0, 0)) acceptedAt = (line, column);
            document = document.WithChange(new TextRange(new TextPosition(line, column), new TextPosition(line, column)), c.ToString(), notify ? version : version + 1);
            if (c == '\n') (line, column) = (line + 1, 0);
            else column++;
        }
        async Task SendWhole(string text)
        {
            version++;
            var (l, ch) = acceptedAt;
            acceptedAt = (0, 0);
            await client.Notify("textDocument/didChange", new
            {
                textDocument = new { uri, version },
                contentChanges = new object[] { new { range = new { start = new { line = l, character = ch }, end = new { line = l, character = ch } }, text } },
            });
        }
        async Task<double> Ask()
        {
            last = null;
            var clock = Stopwatch.StartNew();
            var reply = await client.Request("textDocument/inlineCompletion", At(uri, line, column));
            var total = clock.Elapsed.TotalMilliseconds;
            shown = reply?["result"]?["items"]?.AsArray().FirstOrDefault()?["insertText"]?.GetValue<string>();
            return total;
        }

        // Each round: a keystroke the model must answer with its KV cache warm from the previous one, the same kind of
        // keystroke as a direct engine call, a keystroke after the cache was emptied (a cold request), and the first
        // character of the last suggestion typed as suggested (answered from the suggestion cache).
        async Task<Figures> Measure()
        {
            var f = new Figures();
            var next = 0;
            for (var round = 0; round < runs && next + 3 <= typing.Length; round++)
            {
                await Type(typing[next++]);
                var total = await Ask();
                if (last is { FromCache: true }) f.CacheHits++;
                else
                {
                    f.Warm.Add(total);
                    if (last is { } s) f.Overhead.Add(total - s.EngineMs);
                    if (last is { Text: null }) f.Dropped++;
                    f.ReusedTokens += last?.Timings?.TokensReused ?? 0;
                    f.EvaluatedTokens += last?.Timings?.TokensEvaluated ?? 0;
                }

                await Type(typing[next++]);
                var directClock = Stopwatch.StartNew();
                // The same prompt source the server uses, so both sides send the model the same kind of prompt.
                var pieces = await host.Repository.Prompts.BuildAsync(document, document.OffsetAt(new TextPosition(line, column)), cancellationToken);
                await engine.CompleteAsync(new CompletionRequest
                {
                    Prefix = pieces.Prefix, Suffix = pieces.Suffix, Context = pieces.Context, FilePath = pieces.FilePath, RepositoryName = pieces.RepositoryName,
                    CommentMarker = pieces.CommentMarker, StartWords = pieces.StartWords, MaxTokens = 16, SingleLine = true,
                }, cancellationToken);
                f.Direct.Add(directClock.Elapsed.TotalMilliseconds);

                await Type(typing[next++]);
                await engine.ForgetCacheAsync(cancellationToken);
                total = await Ask();
                if (last is { FromCache: false }) f.Cold.Add(total);

                if (shown is { Length: > 0 } suggestion && !char.IsWhiteSpace(suggestion[0]))
                {
                    await Type(suggestion[0]);
                    total = await Ask();
                    if (last is { FromCache: true }) f.TypedThrough.Add(total);
                }
            }
            return f;
        }

        Task Configure(JsonObject atlas) => client.Notify("workspace/didChangeConfiguration", new { settings = new { atlas } });

        async Task<JsonNode?> StatsNow() => (await client.Request("workspace/executeCommand", new { command = LanguageServer.StatsCommand }))?["result"];

        // Typing at a person's rhythm, as an editor asks: a request per keystroke, the one before it cancelled when it
        // is still open, 120–250 ms between keys and a pause after each statement. Counted: model runs per 100 typed
        // characters, and how long the answer takes at a pause (what the user waits for), with each debounce.
        async Task<Rhythm> TypeAtRhythm(string debounce, int chars, int seed)
        {
            await Configure(new JsonObject { ["debounce"] = debounce == "adaptive" ? "adaptive" : int.Parse(debounce) });
            await Type('\n');
            var before = await StatsNow();
            var random = new Random(seed);
            var atPause = new List<double>();
            var shown = 0;
            (int Id, Task<JsonNode?> Answer)? open = null;
            for (var i = 0; i < chars; i++)
            {
                var c = typing[i % typing.Length];
                if (open is { } o && !o.Answer.IsCompleted) await client.Cancel(o.Id);
                await Type(c);
                var clock = Stopwatch.StartNew();
                open = client.Send("textDocument/inlineCompletion", new { textDocument = new { uri }, position = new { line, character = column }, context = new { triggerKind = 2 } });
                var pause = c == ';' || c == ' ' && random.NextDouble() < 0.08;
                if (pause)
                {
                    var answer = await open.Value.Answer;
                    atPause.Add(clock.Elapsed.TotalMilliseconds);
                    if (answer?["result"]?["items"]?.AsArray().Count > 0) shown++;
                    await Task.Delay(1500, cancellationToken);
                }
                else
                {
                    await Task.Delay(random.Next(120, 251), cancellationToken);
                }
            }
            if (open is { } last) await last.Answer;
            var after = await StatsNow();
            long Delta(string name) => after![name]!.GetValue<long>() - before![name]!.GetValue<long>();
            return new Rhythm(debounce, chars, Delta("modelRuns"), Delta("debounced"), atPause, shown);
        }

        async Task TypingRhythm()
        {
            var rhythms = new List<Rhythm>();
            // Alternated, so both settings see the same machine; the same seed, so both type the same keys at the same pace.
            for (var round = 0; round < 2; round++)
                foreach (var debounce in new[] { "adaptive", "0" })
                    rhythms.Add(await TypeAtRhythm(debounce, rhythmChars, seed: round));
            Console.WriteLine($"typing at 120–250 ms a key with pauses ({rhythmChars} characters a session, two sessions per setting, alternated):");
            foreach (var group in rhythms.GroupBy(r => r.Debounce))
            {
                var runs = group.Sum(r => r.ModelRuns);
                var chars = group.Sum(r => r.Chars);
                var pauses = group.SelectMany(r => r.AtPause).ToList();
                Console.WriteLine($"  debounce {(group.Key == "adaptive" ? "adaptive" : group.Key + " ms"),-9} model runs per 100 characters {runs * 100.0 / chars,6:F1}   " +
                    $"answer at a pause p50 {Stats.Median(pauses),7:F1} ms   p95 {Stats.Percentile(pauses, 95),7:F1} ms   ({pauses.Count} pauses, {group.Sum(r => r.Shown)} with a suggestion)");
            }
        }

        // Accepting a suggestion after reading it for a moment, then asking at the cursor after it, as the editor does:
        // with the next suggestion made ahead while the user reads, and without.
        async Task AfterAccept()
        {
            var latency = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
            var fromAhead = 0;
            string[] starts = ["    var ", "    if (", "    return ", "    foreach (var ", "    inventory."];
            for (var round = 0; round < runs * 2; round++)
            {
                var ahead = round % 2 == 0;
                await Configure(new JsonObject { ["precomputeNext"] = ahead, ["debounce"] = 0 });
                await Type('\n');
                foreach (var c in starts[round / 2 % starts.Length]) await Type(c);
                await Ask();
                if (shown is not { Length: > 0 } suggestion) continue;
                await Task.Delay(800, cancellationToken); // reading it
                foreach (var c in suggestion) await Type(c, notify: false);
                await SendWhole(suggestion);
                var total = await Ask();
                latency[ahead].Add(total);
                if (ahead && last is { Prepared: true }) fromAhead++;
            }
            Console.WriteLine($"the request after accepting a suggestion read for 800 ms ({latency[true].Count} and {latency[false].Count} accepts, alternated):");
            Console.WriteLine($"  {"next suggestion made ahead (the default)",-57}p50 {Stats.Median(latency[true]),7:F1} ms   p95 {Stats.Percentile(latency[true], 95),7:F1} ms   ({fromAhead} answered from what was made ahead)");
            Console.WriteLine($"  {"not made ahead (precomputeNext: false)",-57}p50 {Stats.Median(latency[false]),7:F1} ms   p95 {Stats.Percentile(latency[false], 95),7:F1} ms");
        }

        var idle = await Measure();
        var asked = idle.Warm.Count + idle.CacheHits;
        Console.WriteLine($"model {engine.Info.ModelName} ({Path.GetFileName(modelPath)}), context {engine.Info.ContextSize} tokens, threads {(engine.Info.AdaptiveThreads ? $"up to {engine.Info.Threads}, fewer while other processes keep cores busy" : $"{engine.Info.Threads} (prompt evaluation {engine.Info.BatchThreads})")} on {Environment.ProcessorCount} logical processors; a 5,000-line C# file;");
        Console.WriteLine($"  one character typed per request, {idle.Warm.Count} warm, {idle.Cold.Count} cold and {idle.Direct.Count} direct requests in turn");
        Console.WriteLine($"  ({idle.CacheHits} of {asked} keystrokes answered from the suggestion cache and left out of the warm figures; {idle.Dropped} answers dropped by the C# syntax check, counted;");
        Console.WriteLine($"   a warm request re-evaluated {(idle.Warm.Count > 0 ? (double)idle.EvaluatedTokens / idle.Warm.Count : 0):F0} prompt tokens on average and reused {(idle.Warm.Count > 0 ? (double)idle.ReusedTokens / idle.Warm.Count : 0):F0})");
        Console.WriteLine($"server overhead per request (end-to-end less engine time)   p50 {Stats.Median(idle.Overhead),7:F2} ms   p95 {Stats.Percentile(idle.Overhead, 95),7:F2} ms");
        idle.PrintLatencies("");
        Console.WriteLine($"a character typed as suggested (suggestion cache, {idle.TypedThrough.Count,2} hits) p50 {Stats.Median(idle.TypedThrough),7:F2} ms   p95 {Stats.Percentile(idle.TypedThrough, 95),7:F2} ms");
        Console.WriteLine($"LSP / direct (p50)                                           {Stats.Median(idle.Warm) / Stats.Median(idle.Direct),7:F3}");

        await Configure(new JsonObject { ["debounce"] = 0, ["precomputeNext"] = false });
        await AfterAccept();
        if (rhythmChars > 0) await TypingRhythm();
        await Configure(new JsonObject { ["debounce"] = 0, ["precomputeNext"] = false });
        if (loadThreads <= 0) return;

        // The same rounds on a new line while another process keeps loadThreads threads busy, as a build would.
        await Type('\n');
        using (BusyLoad.Start(loadThreads))
        {
            var loaded = await Measure();
            Console.WriteLine($"under load: another process spinning on {loadThreads} of the {Environment.ProcessorCount} logical processors");
            loaded.PrintLatencies("  ");
        }
    }

    /// <summary>One typing session's figures at a realistic rhythm, under one debounce setting.</summary>
    private sealed record Rhythm(string Debounce, int Chars, long ModelRuns, long Debounced, List<double> AtPause, int Shown);

    /// <summary>One round's latencies.</summary>
    private sealed class Figures
    {
        public List<double> Overhead { get; } = [];
        public List<double> Warm { get; } = [];
        public List<double> Cold { get; } = [];
        public List<double> TypedThrough { get; } = [];
        public List<double> Direct { get; } = [];
        public int CacheHits { get; set; }
        public int Dropped { get; set; }
        public int ReusedTokens { get; set; }
        public int EvaluatedTokens { get; set; }

        public void PrintLatencies(string indent)
        {
            var width = 61 - indent.Length;
            Console.WriteLine($"{indent}{"cold request (KV cache emptied) end to end over LSP".PadRight(width)}p50 {Stats.Median(Cold),7:F1} ms   p95 {Stats.Percentile(Cold, 95),7:F1} ms");
            Console.WriteLine($"{indent}{"next keystroke (prefix KV reused) end to end over LSP".PadRight(width)}p50 {Stats.Median(Warm),7:F1} ms   p95 {Stats.Percentile(Warm, 95),7:F1} ms");
            Console.WriteLine($"{indent}{"direct engine call, same kind of edit".PadRight(width)}p50 {Stats.Median(Direct),7:F1} ms   p95 {Stats.Percentile(Direct, 95),7:F1} ms");
        }
    }

    private static object At(string uri, int line, int character) => new { textDocument = new { uri }, position = new { line, character } };

    private static int NthLineStart(string text, int line)
    {
        var offset = 0;
        for (var i = 0; i < line; i++) offset = text.IndexOf('\n', offset) + 1;
        return offset;
    }
}
