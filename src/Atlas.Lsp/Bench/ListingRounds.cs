using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Lsp.Server;

namespace Atlas.Lsp.Bench;

/// <summary>
/// `bench fixes`' first and tenth "fix this" listing over LSP, each round in a fresh server process (a cold JIT),
/// with the Roslyn warm-up off and on side by side: the listing sent right after didOpen (the user asks at once), and
/// the file opened once the warm-up is done (a user who opens a file a second or more after start). With the warm-up
/// off, the second case waits for the index and one second more, which warms nothing.
/// </summary>
internal static class ListingRounds
{
    /// <summary>Listings per round: the first is what the warm-up is for, the tenth is the steady state.</summary>
    private const int Listings = 10;

    private const string Checkout = """
        namespace Sample.Inventory;

        public sealed class Checkout
        {
            private readonly Item0 _first = new();
            private readonly Item1 _second = new();

            public int Total()
            {
                var sum = _first.Total() + _second.Total()
                return sum;
            }
        }

        """;

    /// <summary>The broken line of <see cref="Checkout"/>: a semicolon is missing at its end.</summary>
    private const int BrokenLine = 9;

    private sealed record Scenario(string Name, bool Warm, bool OpenLater);

    private static readonly Scenario[] Scenarios =
    [
        new("listing right after didOpen, warm-up off", Warm: false, OpenLater: false),
        new("listing right after didOpen, warm-up on", Warm: true, OpenLater: false),
        new("file opened 1 s after the index, warm-up off", Warm: false, OpenLater: true),
        new("file opened after the warm-up finished, warm-up on", Warm: true, OpenLater: true),
    ];

    public static async Task Run(int rounds, string? model, CancellationToken cancellationToken)
    {
        var workspace = Directory.CreateTempSubdirectory("atlas-bench-fixes-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(workspace.FullName, "Inventory.cs"), SampleCode.Lines(600), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(workspace.FullName, "Checkout.cs"), Checkout, cancellationToken);
            var first = Scenarios.ToDictionary(s => s, _ => new List<double>());
            var tenth = Scenarios.ToDictionary(s => s, _ => new List<double>());
            var misses = 0;
            string? warmth = null;
            // Scenarios alternate within a round, so a burst of load on a shared machine falls on all of them alike.
            for (var round = 0; round < rounds; round++)
            {
                foreach (var scenario in Scenarios)
                {
                    var (times, found, log) = await RoundAsync(workspace.FullName, scenario, model, cancellationToken);
                    first[scenario].Add(times[0]);
                    tenth[scenario].Add(times[^1]);
                    if (!found) misses++;
                    warmth = log ?? warmth;
                }
            }

            Console.WriteLine();
            Console.WriteLine($"\"fix this\" listing over LSP, a fresh server process per round, p50 of {rounds} rounds ({Environment.ProcessorCount} logical processors);");
            Console.WriteLine($"  a 2-file workspace (a 600-line file of types, the opened file using them), listing on a broken line{(model is null ? ", no model" : $", {Path.GetFileName(model)} loading")}");
            Console.WriteLine($"{"",-52}{"first listing",16}{"tenth listing",16}");
            foreach (var scenario in Scenarios)
                Console.WriteLine($"{scenario.Name,-52}{Stats.Median(first[scenario]),13:F1} ms{Stats.Median(tenth[scenario]),13:F1} ms");
            if (warmth is not null) Console.WriteLine($"last warm-up: {warmth}");
            if (misses > 0) Console.WriteLine($"WARNING: {misses} listings lacked the broken line's CS1002: the figures time something else.");
        }
        finally
        {
            workspace.Delete(recursive: true);
        }
    }

    /// <summary>One fresh server: initialize, maybe wait, open the file, list <see cref="Listings"/> times.</summary>
    private static async Task<(List<double> Times, bool Found, string? Warmth)> RoundAsync(string workspace, Scenario scenario, string? model, CancellationToken cancellationToken)
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            [LanguageServer.WarmRoslynVariable] = scenario.Warm ? "1" : "0",
            ["ATLAS_LOG"] = "Information",
        });
        var client = server.Client;
        var patience = TimeSpan.FromSeconds(120);
        var uri = new Uri(Path.Combine(workspace, "Checkout.cs")).AbsoluteUri;
        await client.Request("initialize", new
        {
            capabilities = new { textDocument = new { codeAction = new { resolveSupport = new { properties = new[] { "edit" } } } } },
            initializationOptions = new { atlas = model is null ? new JsonObject() : new JsonObject { ["model"] = model } },
            workspaceFolders = new[] { new { uri = new Uri(workspace).AbsoluteUri, name = "bench" } },
        }).WaitAsync(patience, cancellationToken);
        await client.Notify("initialized", new { });

        string? warmth = null;
        if (scenario is { OpenLater: true, Warm: true })
            warmth = (string?)(await client.LogMessage("Roslyn warm in").WaitAsync(patience, cancellationToken))["params"]!["message"];
        else if (scenario.OpenLater)
        {
            await client.LogMessage("Indexed ").WaitAsync(patience, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var times = new List<double>();
        var found = true;
        var clock = Stopwatch.StartNew();
        await client.Notify("textDocument/didOpen", new { textDocument = new { uri, languageId = "csharp", version = 1, text = Checkout } });
        for (var i = 0; i < Listings; i++)
        {
            var answer = await client.Request("textDocument/codeAction", new
            {
                textDocument = new { uri },
                range = new { start = new { line = BrokenLine, character = 8 }, end = new { line = BrokenLine, character = Checkout.Split('\n')[BrokenLine].Length } },
                context = new { diagnostics = Array.Empty<object>() },
            }).WaitAsync(patience, cancellationToken);
            times.Add(clock.Elapsed.TotalMilliseconds);
            found &= answer?["result"]?[0]?["diagnostics"]?.AsArray().Any(d => (string?)d?["code"] == "CS1002") == true;
            clock.Restart();
        }
        return (times, found, warmth);
    }
}
