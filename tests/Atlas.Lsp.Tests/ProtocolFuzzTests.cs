using System.Diagnostics;
using Xunit.Abstractions;

namespace Atlas.Lsp.Tests;

/// <summary>
/// Hostile input at volume: two thousand generated messages (<see cref="HostileMessages"/>) over one connection to one
/// server, a valid completion after every nineteen. The server must never end, answer every request with a readable id
/// exactly once with the code its kind calls for, keep giving the valid requests results, and still shut down cleanly.
/// What the fuzzer once found that killed, hung or misanswered the server is replayed alone below, byte for byte.
/// </summary>
[Collection(VolumeCollection.Name)]
public sealed class ProtocolFuzzTests(ITestOutputHelper output)
{
    /// <summary>The run's seed: a failure names it, and the same seed sends the same bytes again.</summary>
    private const int Seed = 1129;

    private const int HostileCount = 2000;

    /// <summary>A valid completion goes after every this many hostile messages, and is waited for.</summary>
    private const int HostilePerValid = 19;

    /// <summary>Longest wait for one answer before it counts as a hang (a completion in a 3 MB document takes about a second).</summary>
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_thousand_hostile_messages_on_one_connection_each_get_their_answer_and_the_server_keeps_serving()
    {
        var clock = Stopwatch.StartNew();
        var messages = new HostileMessages(Seed);
        await using var client = LspClient.Start();
        var ledger = new AnswerLedger(client);
        var session = new List<FuzzMessage>();
        var sentByKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<string>();
        int crashes = 0, hangs = 0, validSent = 0, validResults = 0;

        async Task<bool> SendAsync(FuzzMessage message)
        {
            ledger.Expect(message);
            session.Add(message);
            sentByKind[message.Kind] = sentByKind.GetValueOrDefault(message.Kind) + 1;
            try
            {
                await client.WriteRawAsync(message.Bytes);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }

        // A valid completion, waited for: it must come back with a result while the server is alive.
        async Task<bool> ValidRequestAnsweredAsync()
        {
            var valid = messages.ValidRequest();
            validSent++;
            if (!await SendAsync(valid)) return false;
            var answer = await ledger.WaitForAsync(((Expectation.Answer)valid.Expected[0]).IdKey, AnswerPatience);
            if (answer is null) return false;
            if (answer["error"] is null) validResults++;
            return !client.HasExited;
        }

        foreach (var early in messages.BeforeInitialize()) await SendAsync(early);
        // The tiny random model, 4 tokens, a 512-token window, one thread: the valid requests go the whole way (document,
        // context, prompt, decoding, post-processing), so a hostile message that upsets any of them shows, and each
        // costs milliseconds. The small window keeps the megabyte documents' prompts short (at 4,096 tokens each cost
        // seconds); with a thread per core, llama.cpp's threads fought the server's own for the 2 cores (53 s, now 25).
        await client.InitializeAsync(new { model = LspClient.TinyModel, maxTokens = 4, contextSize = 512, threads = 1 });
        await client.OpenAsync(HostileMessages.ValidUri, HostileMessages.ValidText);
        Assert.True(await ValidRequestAnsweredAsync(), $"The first valid request was not answered. Stderr:\n{client.Stderr}");
        var rssBefore = ServerMemory.ResidentMegabytes(client.ProcessId);

        var sinceCheck = session.Count;
        for (var i = 1; i <= HostileCount; i++)
        {
            var sent = await SendAsync(messages.Next());
            if (sent && i % HostilePerValid != 0 && i != HostileCount) continue;
            if (sent && await ValidRequestAnsweredAsync())
            {
                sinceCheck = session.Count;
                continue;
            }
            if (client.HasExited || !sent) crashes++;
            else hangs++;
            problems.Add($"The server {(client.HasExited ? "ended" : "stopped answering")} after one of messages {sinceCheck}..{session.Count - 1}:\n  "
                + string.Join("\n  ", session[sinceCheck..].Select((m, k) => $"{sinceCheck + k}: {m}")));
            break;
        }
        var unanswered = await ledger.SettleAsync(AnswerPatience);
        hangs += unanswered.Count;
        var rssAfter = client.HasExited ? double.NaN : ServerMemory.ResidentMegabytes(client.ProcessId);
        var hostileTime = clock.Elapsed;

        int? exitCode = null;
        if (!client.HasExited)
        {
            var last = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = HostileMessages.ValidUri }, position = new { line = 16, character = 15 } });
            if (last["error"] is not null) problems.Add($"The last valid request got {last.ToJsonString()}");
            var shutdown = await client.RequestAsync("shutdown", null);
            if (shutdown["error"] is not null) problems.Add($"shutdown got {shutdown.ToJsonString()}");
            foreach (var late in messages.AfterShutdown()) await SendAsync(late);
            hangs += (await ledger.SettleAsync(AnswerPatience)).Count;
            await client.NotifyAsync("exit", null);
            exitCode = await client.WaitForExitAsync();
            if (exitCode != 0) problems.Add($"shutdown and exit ended the server with {exitCode}, not 0");
        }
        var violations = ledger.Violations();
        foreach (var kind in messages.Kinds.Where(k => sentByKind.GetValueOrDefault(k) < 5))
            problems.Add($"seed {Seed} sent {kind} only {sentByKind.GetValueOrDefault(kind)} times: pick a seed that covers every kind");

        output.WriteLine($"Seed {Seed}: {session.Count} messages in {clock.Elapsed.TotalSeconds:F1} s ({hostileTime.TotalSeconds:F1} s to the end of the hostile run)");
        output.WriteLine("Messages sent by kind:");
        foreach (var (kind, count) in sentByKind) output.WriteLine($"  {kind,-30} {count,5}");
        output.WriteLine($"Requests answered (by id): {ledger.Answered}; valid completions with a result: {validResults} of {validSent}");
        output.WriteLine($"Null-id answers: Parse error {ledger.NullIdAnswers(-32700)} (owed at least {ledger.NullIdOwed(-32700)}), Invalid Request {ledger.NullIdAnswers(-32600)} (owed {ledger.NullIdOwed(-32600)})");
        output.WriteLine($"Crashes: {crashes}; hangs: {hangs}; exit code after shutdown and exit: {exitCode?.ToString() ?? "none (the server had ended)"}");
        output.WriteLine($"Server RSS: {rssBefore:F0} MB after warm-up, {rssAfter:F0} MB after the hostile run");
        foreach (var line in problems.Concat(violations)) output.WriteLine("FAIL " + line);

        Assert.True(problems.Count == 0 && violations.Count == 0,
            $"Seed {Seed}: {problems.Count + violations.Count} failures:\n{string.Join("\n", problems.Concat(violations).Take(40))}\nStderr (end):\n{Tail(client.Stderr)}");
    }

    /// <summary>Messages the fuzzer found that ended, hung or misanswered the server, each alone on a fresh server.</summary>
    public static TheoryData<string> Findings => new(FuzzFindings.Cases.Keys);

    [Theory]
    [MemberData(nameof(Findings))]
    public async Task A_message_the_fuzzer_found_gets_its_answer_and_the_server_keeps_serving(string finding)
    {
        var message = FuzzFindings.Cases[finding];
        await using var client = LspClient.Start();
        var ledger = new AnswerLedger(client);
        await client.InitializeAsync();
        await client.OpenAsync(HostileMessages.ValidUri, HostileMessages.ValidText);
        ledger.Expect(message);
        await client.WriteRawAsync(message.Bytes);
        Assert.Empty(await ledger.SettleAsync(AnswerPatience));

        var after = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = HostileMessages.ValidUri }, position = new { line = 16, character = 15 } });
        Assert.True(after["error"] is null, after.ToJsonString());
        Assert.Empty(ledger.Violations());
        Assert.False(client.HasExited);
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}
