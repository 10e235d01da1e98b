using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>
/// Books what each sent message is owed (<see cref="Expectation"/>) against what the server answered, read from the
/// client's unmatched messages (the answers to ids the test wrote itself). Every readable id gets exactly its answers
/// with an admitted outcome; null-id errors are counted (Invalid Request exactly, Parse error at least).
/// </summary>
internal sealed class AnswerLedger(LspClient client)
{
    private const int InvalidRequest = -32600;
    private const int ParseError = -32700;

    private readonly Dictionary<string, List<(Expectation.Answer Expected, int Index, FuzzMessage Message)>> _expected = new();
    private readonly Dictionary<string, List<JsonObject>> _answers = new();
    private readonly Dictionary<int, int> _nullIdExpected = new();
    private readonly Dictionary<int, int> _nullIdAnswers = new();
    private readonly List<string> _strays = [];
    private int _sent;

    /// <summary>Answers that carried an id (results and errors).</summary>
    public int Answered { get; private set; }

    public int NullIdAnswers(int code) => _nullIdAnswers.GetValueOrDefault(code);

    /// <summary>Books a message about to be sent; returns its index in the session, which failures name.</summary>
    public int Expect(FuzzMessage message)
    {
        var index = _sent++;
        foreach (var expectation in message.Expected)
        {
            switch (expectation)
            {
                case Expectation.Answer answer:
                    if (!_expected.TryGetValue(answer.IdKey, out var list)) _expected[answer.IdKey] = list = [];
                    list.Add((answer, index, message));
                    break;
                case Expectation.NullIdError error:
                    _nullIdExpected[error.Code] = _nullIdExpected.GetValueOrDefault(error.Code) + 1;
                    break;
            }
        }
        return index;
    }

    /// <summary>Takes in whatever the client has read since the last call.</summary>
    public void Collect()
    {
        while (client.Unmatched.TryDequeue(out var answer))
        {
            if (answer["id"] is null)
            {
                if (answer["error"]?["code"] is JsonValue code && code.TryGetValue<int>(out var c)) _nullIdAnswers[c] = _nullIdAnswers.GetValueOrDefault(c) + 1;
                else _strays.Add($"an answer with a null id and no error code: {Cut(answer)}");
                continue;
            }
            if (IdKey.Of(answer["id"]) is not { } key)
            {
                _strays.Add($"an answer with an id no request can have: {Cut(answer)}");
                continue;
            }
            Answered++;
            if (!_answers.TryGetValue(key, out var list)) _answers[key] = list = [];
            list.Add(answer);
        }
    }

    /// <summary>Waits for an answer to one request; null when none comes in time (a hang).</summary>
    public async Task<JsonObject?> WaitForAsync(string idKey, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Collect();
            if (_answers.TryGetValue(idKey, out var list) && list.Count > 0) return list[^1];
            if (clock.Elapsed > patience || client.HasExited) return null;
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until every request that must be answered has been; returns those that were not (hangs).</summary>
    public async Task<IReadOnlyList<string>> SettleAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Collect();
            var missing = Missing();
            if (missing.Count == 0 || clock.Elapsed > patience || client.HasExited) return missing;
            await Task.Delay(20);
        }
    }

    private List<string> Missing() =>
        [.. _expected.Where(e => (_answers.GetValueOrDefault(e.Key)?.Count ?? 0) < e.Value.Count(x => !x.Expected.MayBeLost))
            .Select(e => $"no answer to {Describe(e.Value[0])} (id {e.Key})")];

    /// <summary>Everything that broke the contract, one line each.</summary>
    public IReadOnlyList<string> Violations()
    {
        Collect();
        var violations = new List<string>(_strays);
        violations.AddRange(Missing());
        foreach (var (key, answers) in _answers)
        {
            if (!_expected.TryGetValue(key, out var expected))
            {
                violations.Add($"an answer to id {key}, which expects none: {Cut(answers[0])}");
                continue;
            }
            if (answers.Count > expected.Count)
                violations.Add($"{answers.Count} answers to {Describe(expected[0])} (id {key}), owed {expected.Count}: {string.Join(" | ", answers.Select(Cut))}");
            foreach (var answer in answers.Where(a => !expected.Any(e => e.Expected.Outcome.Admits(a))))
                violations.Add($"wrong answer to {Describe(expected[0])}: owed {expected[0].Expected.Outcome}, got {Cut(answer)}");
        }
        var invalid = NullIdAnswers(InvalidRequest);
        if (invalid != _nullIdExpected.GetValueOrDefault(InvalidRequest))
            violations.Add($"{invalid} Invalid Request answers with a null id, owed {_nullIdExpected.GetValueOrDefault(InvalidRequest)}");
        var parse = NullIdAnswers(ParseError);
        if (parse < _nullIdExpected.GetValueOrDefault(ParseError))
            violations.Add($"{parse} Parse error answers, owed at least {_nullIdExpected.GetValueOrDefault(ParseError)}");
        foreach (var (code, count) in _nullIdAnswers.Where(n => n.Key is not (InvalidRequest or ParseError)))
            violations.Add($"{count} answers with a null id and error {code}");
        return violations;
    }

    public int NullIdOwed(int code) => _nullIdExpected.GetValueOrDefault(code);

    private static string Describe((Expectation.Answer Expected, int Index, FuzzMessage Message) e)
    {
        var text = e.Message.ToString();
        return $"message {e.Index} ({(text.Length > 240 ? text[..240] + "…" : text)})";
    }

    private static string Cut(JsonObject answer)
    {
        string text;
        try
        {
            text = answer.ToJsonString();
        }
        catch (InvalidOperationException)
        {
            text = $"(an answer whose text cannot be written back: {answer["error"]?["message"]})";
        }
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}
