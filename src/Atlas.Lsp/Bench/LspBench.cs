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
/// (end-to-end time less the engine's own time), p50/p95, and end-to-end latency against direct engine calls on
/// the same kind of edit, alternated in one run.
/// </summary>
internal static class LspBench
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Path to a GGUF model file.", Required = true };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 30, Description = "Requests per figure." };
        var command = new Command("lsp", "Server overhead per completion (p50/p95) and warm LSP latency against a direct engine call.");
        command.Options.Add(model);
        command.Options.Add(runs);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            await Run(result.GetValue(model)!, result.GetValue(runs), cancellationToken);
            return 0;
        }));
        return command;
    }

    private static async Task Run(string modelPath, int runs, CancellationToken cancellationToken)
    {
        using var logging = StderrLogging.Create(LogLevel.Warning);
        using var host = new ServerHost(logging);
        await using var session = PipeSession.Start(host, cancellationToken);
        var client = session.Client;
        Suggestion? last = null;
        host.Server.OnSuggestion = s => last = s;

        var settings = new { model = modelPath, maxTokens = 16, completionMode = "single" };
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

        var overhead = new List<double>();
        var lsp = new List<double>();
        var direct = new List<double>();
        var cacheHits = 0;
        var dropped = 0;
        const string typing = "    var totalCount = inventory.Items.Where(item => item.Total() > 0).Sum(item => item.Total());";
        await client.Request("textDocument/inlineCompletion", At(uri, line, 0)); // warm: the whole prompt is in the KV cache

        for (var i = 0; i < 2 * runs && i < typing.Length; i++)
        {
            // Type one character, in the editor and in our copy.
            var version = i + 2;
            await client.Notify("textDocument/didChange", new
            {
                textDocument = new { uri, version },
                contentChanges = new object[] { new { range = new { start = new { line, character = i }, end = new { line, character = i } }, text = typing[i].ToString() } },
            });
            document = document.WithChange(new TextRange(new TextPosition(line, i), new TextPosition(line, i)), typing[i].ToString(), version);

            var clock = Stopwatch.StartNew();
            if (i % 2 == 0)
            {
                last = null;
                await client.Request("textDocument/inlineCompletion", At(uri, line, i + 1));
                var total = clock.Elapsed.TotalMilliseconds;
                if (last is { FromCache: true }) { cacheHits++; continue; }
                lsp.Add(total);
                if (last is { } s) overhead.Add(total - s.EngineMs);
                if (last is { Text: null }) dropped++;
            }
            else
            {
                // The same prompt source the server uses, so both sides send the model the same kind of prompt.
                var pieces = await host.Repository.Prompts.BuildAsync(document, document.OffsetAt(new TextPosition(line, i + 1)), cancellationToken);
                await engine.CompleteAsync(new CompletionRequest
                {
                    Prefix = pieces.Prefix, Suffix = pieces.Suffix, Context = pieces.Context, FilePath = pieces.FilePath,
                    RepositoryName = pieces.RepositoryName, CommentMarker = pieces.CommentMarker, MaxTokens = 16, SingleLine = true,
                }, cancellationToken);
                direct.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        Console.WriteLine($"model {engine.Info.ModelName} ({Path.GetFileName(modelPath)}); a 5,000-line file; one character typed per request; {lsp.Count} LSP and {direct.Count} direct requests alternated ({cacheHits} answered from the suggestion cache, left out; {dropped} dropped by the C# syntax check, counted)");
        Console.WriteLine($"server overhead per request (end-to-end less engine time)   p50 {Stats.Median(overhead),7:F2} ms   p95 {Stats.Percentile(overhead, 95),7:F2} ms");
        Console.WriteLine($"warm request end to end over LSP                             p50 {Stats.Median(lsp),7:F1} ms   p95 {Stats.Percentile(lsp, 95),7:F1} ms");
        Console.WriteLine($"direct engine call, same kind of edit                        p50 {Stats.Median(direct),7:F1} ms   p95 {Stats.Percentile(direct, 95),7:F1} ms");
        Console.WriteLine($"LSP / direct (p50)                                           {Stats.Median(lsp) / Stats.Median(direct),7:F3}");

    }

    private static object At(string uri, int line, int character) => new { textDocument = new { uri }, position = new { line, character } };

    private static int NthLineStart(string text, int line)
    {
        var offset = 0;
        for (var i = 0; i < line; i++) offset = text.IndexOf('\n', offset) + 1;
        return offset;
    }
}
