using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench context`: how long building a prompt's pieces takes for a cursor in a 5,000-line C# file of a
/// ~2,000-file repository (generated, deterministic): cold (the first build after indexing, Roslyn compiling the
/// declarations) and warm (after a one-character edit), p50/p95.
/// </summary>
internal static class ContextBench
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "GGUF whose tokenizer measures the budget.", Required = true };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 40, Description = "Builds per figure." };
        var files = new Option<int>("--files") { DefaultValueFactory = _ => 2000, Description = "Files in the generated repository." };
        var command = new Command("context", "Prompt-building time, cold and after a one-character edit, in a generated 2,000-file C# repository.");
        command.Options.Add(model);
        command.Options.Add(runs);
        command.Options.Add(files);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            using var engine = await CompletionEngine.LoadAsync(new EngineSettings { ModelPath = result.GetValue(model)! }, logging.CreateLogger("bench"), cancellationToken: cancellationToken);
            var root = Directory.CreateTempSubdirectory("atlas-bench-context-").FullName;
            try
            {
                await Run(engine, root, result.GetValue(files), result.GetValue(runs), logging.CreateLogger("context"), cancellationToken);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
            return 0;
        }));
        return command;
    }

    private static async Task Run(CompletionEngine engine, string root, int fileCount, int runs, ILogger logger, CancellationToken cancellationToken)
    {
        for (var i = 0; i < fileCount - 1; i++)
        {
            var folder = Path.Combine(root, $"Module{i % 40}");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"Service{i}.cs"), Service(i), cancellationToken);
        }
        var big = new StringBuilder("using System;\nusing System.Collections.Generic;\n\nnamespace Bench;\n\npublic sealed class Orchestrator\n{\n");
        for (var i = 0; big.ToString().Count(c => c == '\n') < 5000 - 10; i++)
            big.Append($"    public int Step{i}(Service{i % (fileCount - 1)} service, int value)\n    {{\n        var total = service.Compute(value) + {i};\n        return total;\n    }}\n\n");
        var cursorLine = big.ToString().Count(c => c == '\n') - 3;
        big.Append("    public int Run(Service7 service)\n    {\n        var result = service.\n    }\n}\n");
        var bigPath = Path.Combine(root, "Orchestrator.cs");
        await File.WriteAllTextAsync(bigPath, big.ToString(), cancellationToken);

        var workspace = new RepositoryWorkspace(logger);
        var indexClock = Stopwatch.StartNew();
        await workspace.IndexAsync([root]);
        var indexMs = indexClock.Elapsed.TotalMilliseconds;
        workspace.UseModel(engine.Model.CountTokens, new Atlas.Context.Budget.ContextBudget { TotalTokens = engine.Info.ContextSize - CompletionRequest.DefaultMaxTokens });

        var document = new TextDocument(new Uri(bigPath).AbsoluteUri, "csharp", 1, big.ToString());
        var line = document.LineCount - 4;
        var offset = document.OffsetAt(new TextPosition(line, document.LineLength(line)));
        workspace.Opened(document);

        var clock = Stopwatch.StartNew();
        var pieces = await workspace.Prompts.BuildAsync(document, offset, cancellationToken);
        var coldMs = clock.Elapsed.TotalMilliseconds;

        var warm = new List<double>();
        var moved = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            // One character typed at the cursor, as the editor would send it.
            var at = document.PositionAt(offset);
            document = document.WithChange(new TextRange(at, at), "C", i + 2);
            workspace.Changed(document, at.Line);
            offset++;
            clock.Restart();
            await workspace.Prompts.BuildAsync(document, offset, cancellationToken);
            warm.Add(clock.Elapsed.TotalMilliseconds);
        }
        // A new line: the repository part is recomputed (Roslyn binds the edited member again).
        for (var i = 0; i < Math.Min(runs, 10); i++)
        {
            var at = document.PositionAt(offset);
            document = document.WithChange(new TextRange(at, at), "\n        var x" + i + " = service.", runs + i + 2);
            workspace.Changed(document, at.Line);
            offset += ("\n        var x" + i + " = service.").Length;
            clock.Restart();
            await workspace.Prompts.BuildAsync(document, offset, cancellationToken);
            moved.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"repository: {workspace.Index.Files.Count()} files indexed in {indexMs:F0} ms; cursor in a {document.LineCount}-line C# file after `service.`");
        Console.WriteLine($"context sections at the cursor: {pieces.Context.Count} ({string.Join(", ", pieces.Context.Select(c => c.Path))})");
        Console.WriteLine($"cold (first build: Roslyn compiles the declarations)     {coldMs,8:F1} ms");
        Console.WriteLine($"warm, one character typed on the line      p50 {Stats.Median(warm),7:F2} ms   p95 {Stats.Percentile(warm, 95),7:F2} ms   ({warm.Count} builds)");
        Console.WriteLine($"warm, a new line (declarations recomputed) p50 {Stats.Median(moved),7:F2} ms   p95 {Stats.Percentile(moved, 95),7:F2} ms   ({moved.Count} builds)");
    }

    private static string Service(int i) => $$"""
        namespace Bench;

        /// <summary>Service number {{i}}.</summary>
        public sealed class Service{{i}}
        {
            private readonly int _offset = {{i}};

            /// <summary>Adds this service's offset.</summary>
            public int Compute(int value) => value + _offset;

            public string Name => "service-{{i}}";

            public bool IsReady(int attempt) => attempt > {{i % 5}};
        }
        """;
}
