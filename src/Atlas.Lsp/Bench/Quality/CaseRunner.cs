using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Completion;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Lsp.Server;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench.Quality;

/// <summary>What the server answered for one case in one mode, and what each stage of the pipeline made of it.</summary>
internal sealed record Answer(string? Text, string? ModelText, string? CleanedText, double LatencyMs, double EngineMs, int PromptTokens, int ReusedTokens, int GeneratedTokens)
{
    public bool Empty => Text is null;

    /// <summary>The cleaner left something and the syntax guard dropped all of it.</summary>
    public bool GuardDropped => CleanedText is not null && Text is null;

    /// <summary>The syntax guard cut the cleaned suggestion back to a shorter prefix.</summary>
    public bool GuardCut => CleanedText is not null && Text is not null && Text != CleanedText;

    /// <summary>With candidates asked for: what was shown, best first (<see cref="Text"/> is the first), else null.</summary>
    public IReadOnlyList<string>? Candidates { get; init; }

    /// <summary>With candidates: what the greedy answer alone showed (what an automatic request shows).</summary>
    public string? Greedy { get; init; }

    /// <summary>With candidates: the language's checks put another candidate first than the model's first.</summary>
    public bool Reordered { get; init; }

    /// <summary>With candidates: the engine's time for the greedy answer alone (prompt and generation).</summary>
    public double GreedyEngineMs { get; init; }
}

/// <summary>With the repository's context in the prompt (the server's settings), or from the file alone (contextShare 0).</summary>
internal enum ContextMode { Repository, FileOnly }

/// <summary>
/// Runs cases through the real server as an editor would: the repository written to a temporary folder with the
/// case's line cut at the cursor, a server session (in this process, over pipes) initialized on that folder, the file
/// opened with the cut text, an inline completion asked at the cursor. Every session serves the one engine loaded
/// for the run; its KV cache is emptied before each measured request, so a case's answer does not depend on the
/// cases before it. Cases of one repository share a session, as consecutive requests in one editor would. With
/// <paramref name="candidates"/> above 1 the request is an explicit one (triggerKind Invoked) asking for that many.
/// </summary>
internal sealed class CaseRunner(CompletionEngine engine, ILoggerFactory logging, JsonObject settings, int candidates = 1)
{
    /// <summary>Runs every case of one repository in one mode, reporting each answer as it comes.</summary>
    public async Task RunAsync(IReadOnlyList<QualityCase> repository, ContextMode mode, Action<QualityCase, Answer> answered, CancellationToken cancellationToken)
    {
        using var folder = new CaseFolder(repository[0]);
        using var host = new ServerHost(logging, models: ModelHost.Serving(engine, logging.CreateLogger("bench")));
        Suggestion? last = null;
        CandidateSuggestions? lastCandidates = null;
        host.Server.OnSuggestion = s => last = s;
        host.Server.OnCandidates = c => lastCandidates = c;

        var atlas = (JsonObject)settings.DeepClone();
        atlas["model"] = engine.Info.ModelPath;
        atlas["candidates"] = candidates;
        if (mode == ContextMode.FileOnly) atlas["contextShare"] = 0;
        folder.Cut(repository[0]);

        await using var session = PipeSession.Start(host, cancellationToken);
        var client = session.Client;
        await client.Request("initialize", new
        {
            capabilities = new { },
            initializationOptions = new { atlas },
            workspaceFolders = new[] { new { uri = new Uri(folder.Root).AbsoluteUri, name = Path.GetFileName(folder.Root) } },
        });
        await client.Notify("initialized", new { });
        await host.Repository.Indexed.WaitAsync(cancellationToken);

        foreach (var item in repository)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = folder.Cut(item);
            var uri = new Uri(folder.PathOf(item.File)).AbsoluteUri;
            await client.Notify("textDocument/didOpen", new { textDocument = new { uri, languageId = "csharp", version = 1, text } });
            // An editor's Roslyn view is warm by the time the user reaches a line: bind the file once (at its start, so
            // the cursor line's context is still built by the measured request), then time a request at a new place.
            await host.Repository.Prompts.BuildAsync(new TextDocument(uri, "csharp", 1, text), 0, cancellationToken);
            await engine.ForgetCacheAsync(cancellationToken);

            last = null;
            lastCandidates = null;
            var clock = Stopwatch.StartNew();
            var reply = await client.Request("textDocument/inlineCompletion", new
            {
                textDocument = new { uri },
                position = new { line = item.Line, character = item.Character },
                context = new { triggerKind = candidates > 1 ? 1 : 2 },
            });
            var latency = clock.Elapsed.TotalMilliseconds;
            if (reply?["error"] is { } error) throw new InvalidOperationException($"{item.Id}: the server answered an error: {error.ToJsonString()}");
            var shown = reply?["result"]?["items"]?.AsArray().FirstOrDefault()?["insertText"]?.GetValue<string>();
            if (lastCandidates is { } asked)
                answered(item, Explicit(asked, shown, latency));
            else
            {
                var timings = last?.Timings;
                answered(item, new Answer(shown, last?.ModelText, last?.CleanedText, latency, last?.EngineMs ?? 0,
                    timings?.PromptTokens ?? 0, timings?.TokensReused ?? 0, timings?.TokensGenerated ?? 0));
            }

            folder.Restore(item);
            await client.Notify("textDocument/didClose", new { textDocument = new { uri } });
        }
    }

    /// <summary>An explicit request's answer: the stages of its first candidate, and every candidate shown.</summary>
    private static Answer Explicit(CandidateSuggestions asked, string? shown, double latency)
    {
        var first = asked.Ordered.FirstOrDefault();
        var greedy = asked.Written[0].Timings;
        return new Answer(shown, first is null ? asked.Written[0].Text : asked.Written[first.ModelRank].Text, first?.CleanedText, latency, asked.EngineMs,
            greedy.PromptTokens, greedy.TokensReused, asked.Written.Sum(w => w.Timings.TokensGenerated))
        {
            Candidates = [.. asked.Ordered.Select(c => c.Text)],
            Greedy = asked.Greedy?.Text,
            Reordered = asked.Reordered,
            GreedyEngineMs = greedy.PromptMs + greedy.GenerationMs,
        };
    }

    /// <summary>A repository written to a temporary folder named after it; deleted on dispose.</summary>
    private sealed class CaseFolder : IDisposable
    {
        private readonly string _temp = Directory.CreateTempSubdirectory("atlas-quality-").FullName;

        public CaseFolder(QualityCase first)
        {
            Root = Path.Combine(_temp, SafeName(first.Repo));
            foreach (var file in first.Files) Write(file.Path, file.Text);
        }

        public string Root { get; }

        public string PathOf(string relative) => Path.GetFullPath(Path.Combine(Root, relative));

        /// <summary>Writes the case's file with the cursor line cut, and returns that text (what the editor opens).</summary>
        public string Cut(QualityCase item)
        {
            var text = item.CutText();
            Write(item.File, text);
            return text;
        }

        public void Restore(QualityCase item) => Write(item.File, item.Files.First(f => f.Path == item.File).Text);

        private void Write(string relative, string text)
        {
            var path = PathOf(relative);
            if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new Cli.UserError($"A case's file path leaves its repository: '{relative}'.");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        private static string SafeName(string name) =>
            string.IsNullOrWhiteSpace(name) ? "repository" : string.Concat(name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '-' : c));

        public void Dispose()
        {
            try
            {
                Directory.Delete(_temp, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is not worth failing a benchmark for.
            }
        }
    }
}
