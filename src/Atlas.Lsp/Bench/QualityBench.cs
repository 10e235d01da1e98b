using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Completion.Filters;
using Atlas.Engine;
using Atlas.Lsp.Bench.Quality;
using Atlas.Lsp.Cli;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `atlas-lsp bench quality`: how often the server's suggestion is what the code has, run as an editor would ask, with
/// the repository's context in the prompt and from the file alone. Cases come from a JSON-lines file (../shared/eval)
/// or are made from the user's own repository. Prints exact match, first-token accuracy, edit similarity, empty and
/// syntax-guarded shares and latency per case kind, both ways, what each multi-line filter does to the same answers,
/// then the lift context gives.
/// </summary>
internal static class QualityBench
{
    /// <summary>Cases made from a workspace when --cases does not say how many.</summary>
    private const int DefaultWorkspaceCases = 60;

    public static Command Create()
    {
        var engine = new EngineOptions();
        var cases = new Option<string?>("--cases") { Description = "A JSON-lines file of cases (../shared/eval's format); with --workspace, how many cases to make (default 60)." };
        var workspace = new Option<DirectoryInfo?>("--workspace") { Description = "Make cases from this repository's C# files (after a dot, at a statement's start, inside an identifier)." };
        var limit = new Option<int?>("--limit") { Description = "Run at most this many cases, taken in turn from each kind." };
        var json = new Option<FileInfo?>("--json") { Description = "Write every case's answers and scores to this file, for diffing two runs." };
        var settings = new Option<string?>("--settings") { Description = "Server settings as a JSON object, as an editor sends them under \"atlas\" (e.g. '{\"maxTokens\":64}')." };
        var modes = new Option<string>("--modes") { DefaultValueFactory = _ => "both", Description = "both, repository (with context only) or file (file only)." };
        var candidates = new Option<int>("--candidates") { DefaultValueFactory = _ => 1, Description = "Ask as an explicit request (triggerKind Invoked) for this many candidates, and report how Roslyn's ordering changed the first (default 1: an automatic request)." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "With --workspace: which cursors are drawn." };
        var command = new Command("quality", "Completion quality with repository context and from the file alone: exact match, first token, edit similarity, latency.");
        engine.AddTo(command);
        foreach (var option in new Option[] { cases, workspace, limit, json, settings, modes, seed, candidates }) command.Options.Add(option);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            using var logging = StderrLogging.Create(LogLevel.Warning);
            var logger = logging.CreateLogger("bench");
            var list = result.GetValue(workspace) is { } folder
                ? await WorkspaceCases.MakeAsync(folder.FullName, CaseCount(result.GetValue(cases)), result.GetValue(seed), logger, cancellationToken)
                : QualityCases.Load(result.GetValue(cases) ?? throw new UserError("bench quality needs --cases FILE or --workspace DIR."));
            if (result.GetValue(limit) is { } most) list = TakeInTurn(list, most);
            var ways = result.GetValue(modes) switch
            {
                "both" => new[] { ContextMode.Repository, ContextMode.FileOnly },
                "repository" => [ContextMode.Repository],
                "file" => [ContextMode.FileOnly],
                var other => throw new UserError($"--modes is both, repository or file, not '{other}'."),
            };
            var atlas = ParseSettings(result.GetValue(settings));
            var asked = CandidateCount(result.GetValue(candidates));

            using var loaded = await CompletionEngine.LoadAsync(engine.Read(result), logger, cancellationToken: cancellationToken);
            var report = new QualityReport(list, MultiLineFilterSet.Parse(atlas["multiLineFilters"]?.GetValue<string>()));
            var runner = new CaseRunner(loaded, logging, atlas, asked);
            var done = 0;
            var total = list.Count * ways.Length;
            // Cases of one repository share its folder and a session (ReferenceEquals: a workspace's cases share one file list).
            foreach (var repository in list.GroupBy(c => c.Files, ReferenceEqualityComparer.Instance))
            {
                foreach (var mode in ways)
                {
                    await runner.RunAsync([.. repository], mode, (item, answer) =>
                    {
                        report.Add(item, mode, answer);
                        Console.Error.WriteLine($"[{++done,4}/{total}] {(mode == ContextMode.Repository ? "context  " : "file only")} {item.Kind,-14} {(Scores.Exact(answer.Text, item.Expected) ? "exact" : "     ")} {answer.LatencyMs,7:F1} ms  {item.Id}");
                    }, cancellationToken);
                }
            }

            var info = loaded.Info;
            Console.WriteLine($"{list.Count} cases; model {info.ModelName} (FIM {info.Family}, context {info.ContextSize} tokens{(info.DraftModelName is { } d ? $", draft {d}" : "")}); settings {(atlas.Count == 0 ? "the server's defaults" : atlas.ToJsonString())}" +
                (asked > 1 ? $"; explicit requests for {asked} candidates" : ""));
            report.Print(Console.Out, ways);
            if (result.GetValue(json) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
                Console.Error.WriteLine($"Per-case results written to {file.FullName}");
            }
            return 0;
        }));
        return command;
    }

    private static int CaseCount(string? value) => value is null ? DefaultWorkspaceCases
        : int.TryParse(value, out var n) && n > 0 ? n : throw new UserError($"With --workspace, --cases is how many cases to make, not '{value}'.");

    private static int CandidateCount(int n)
    {
        try
        {
            return Server.AtlasSettings.CandidateCount(n);
        }
        catch (ArgumentException e)
        {
            throw new UserError($"--candidates {e.Message}.");
        }
    }

    private static JsonObject ParseSettings(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new UserError("--settings must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new UserError($"--settings is not JSON: {e.Message}");
        }
    }

    /// <summary>At most <paramref name="most"/> cases, one of each kind in turn, in file order within a kind.</summary>
    private static List<QualityCase> TakeInTurn(List<QualityCase> cases, int most)
    {
        var kinds = cases.GroupBy(c => c.Kind).Select(g => new Queue<QualityCase>(g)).ToList();
        var taken = new List<QualityCase>();
        while (taken.Count < most && kinds.Any(k => k.Count > 0))
            foreach (var kind in kinds)
                if (taken.Count < most && kind.TryDequeue(out var next)) taken.Add(next);
        return taken;
    }
}
