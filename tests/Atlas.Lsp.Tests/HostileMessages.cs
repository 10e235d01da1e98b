using System.Text;
using System.Text.Json;

namespace Atlas.Lsp.Tests;

/// <summary>
/// A seeded stream of hostile LSP messages for one connection, each with the answer the server owes it. The same
/// seed gives the same bytes (on the same runtime), so a failure that names its seed and message index can be replayed.
/// Kinds are weighted so that each comes up dozens of times in two thousand messages, and the expensive ones
/// (megabyte documents, 100 KB headers) a handful of times. Hostile edits go to scratch documents only: the document
/// the valid requests complete in (<see cref="ValidUri"/>) never changes, so their positions stay valid.
/// </summary>
internal sealed class HostileMessages
{
    public const string ValidUri = "file:///fuzz/Valid.cs";

    public const string ValidText = """
        using System;
        using System.Collections.Generic;

        namespace Fuzz;

        public sealed class Ledger
        {
            private readonly List<decimal> _entries = new();

            public void Add(decimal amount) => _entries.Add(amount);

            public decimal Total()
            {
                var total = 0m;
                foreach (var entry in _entries)
                    total += entry;
                return 
            }
        }

        """;

    private const int InvalidRequest = -32600;
    private const int InvalidParams = -32602;
    private const int MethodNotFound = -32601;
    private const int ParseError = -32700;
    private const int ServerNotInitialized = -32002;

    private static readonly string[] ValidLines = ValidText.Split('\n');

    private readonly Random _random;
    private readonly (string Kind, int Weight, Func<FuzzMessage> Make)[] _kinds;
    private readonly int _totalWeight;
    private long _nextId = 1_000_000;
    private int _nextScratch;
    private readonly Queue<string> _fixedIds = new(["0", "9223372036854775807", "-9223372036854775808", "\"\"", "-1"]);

    public HostileMessages(int seed)
    {
        _random = new Random(seed);
        _kinds =
        [
            ("params-scalar", 10, ScalarParams),
            ("id-unreadable", 10, UnreadableId),
            ("id-odd-but-valid", 10, OddButValidId),
            ("envelope-no-method", 10, NoMethod),
            ("envelope-bad-method", 10, BadMethod),
            ("envelope-bad-jsonrpc", 10, BadVersion),
            ("lone-surrogate-envelope", 6, LoneSurrogateEnvelope),
            ("response-to-unknown-id", 10, ResponseToUnknownId),
            ("framing-length-not-a-number", 6, LengthNotANumber),
            ("framing-length-negative", 6, LengthNegative),
            ("framing-length-missing", 6, LengthMissing),
            ("framing-length-short", 6, LengthShort),
            ("framing-length-long", 6, LengthLong),
            ("json-truncated", 8, TruncatedJson),
            ("utf8-invalid", 8, InvalidUtf8),
            ("json-deep", 6, DeepJson),
            ("header-huge", 2, HugeHeader),
            ("document-huge", 1, HugeDocument),
            ("document-binary", 2, BinaryDocument),
            ("position-out-of-range", 10, PositionOutOfRange),
            ("method-unknown-request", 10, UnknownRequest),
            ("method-unknown-notification", 8, UnknownNotification),
            ("notification-as-request", 6, NotificationAsRequest),
            ("params-missing-field", 10, MissingField),
            ("params-wrong-type", 10, WrongType),
            ("didchange-unopened-or-bad", 8, BadChange),
            ("text-lone-surrogate", 6, LoneSurrogateText),
            ("cancel-unknown", 8, CancelUnknown),
            ("id-duplicate", 6, DuplicateId),
        ];
        _totalWeight = _kinds.Sum(k => k.Weight);
    }

    public IEnumerable<string> Kinds => _kinds.Select(k => k.Kind);

    /// <summary>The next hostile message.</summary>
    public FuzzMessage Next()
    {
        var pick = _random.Next(_totalWeight);
        foreach (var (_, weight, make) in _kinds)
        {
            if (pick < weight) return make();
            pick -= weight;
        }
        throw new InvalidOperationException("weights do not add up");
    }

    /// <summary>An inline or menu completion somewhere in the valid document: it must get a result.</summary>
    public FuzzMessage ValidRequest()
    {
        var line = _random.Next(ValidLines.Length);
        var character = _random.Next(ValidLines[line].Length + 1);
        var method = _random.Next(4) == 0 ? "textDocument/completion" : "textDocument/inlineCompletion";
        return Request("valid", NewId(), method, At(ValidUri, line, character), Outcome.Result);
    }

    /// <summary>Requests before initialize: each gets ServerNotInitialized; notifications are dropped.</summary>
    public IEnumerable<FuzzMessage> BeforeInitialize()
    {
        const string early = "file:///fuzz/Early.cs";
        yield return Notification("before-initialize", "textDocument/didOpen", Open(early, "class Early { }"));
        foreach (var (method, parameters) in new[]
        {
            ("textDocument/inlineCompletion", At(early, 0, 0)),
            ("textDocument/completion", At(early, 0, 3)),
            ("textDocument/codeAction", """{"textDocument":{"uri":"file:///fuzz/Early.cs"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"context":{"diagnostics":[]}}"""),
            ("atlas/noSuchMethod", "{}"),
            ("shutdown", "null"),
        })
            yield return Request("before-initialize", NewId(), method, parameters, Outcome.Error(ServerNotInitialized));
    }

    /// <summary>After shutdown: every request but exit gets Invalid Request; notifications are dropped.</summary>
    public IEnumerable<FuzzMessage> AfterShutdown()
    {
        for (var i = 0; i < 8; i++)
        {
            yield return Request("after-shutdown", NewId(), "textDocument/inlineCompletion", At(ValidUri, 1, 0), Outcome.Error(InvalidRequest));
            yield return Request("after-shutdown", NewId(), "textDocument/completion", At(ValidUri, 2, 0), Outcome.Error(InvalidRequest));
            yield return Request("after-shutdown", NewId(), "atlas/noSuchMethod", "{}", Outcome.Error(InvalidRequest));
            yield return Request("after-shutdown", NewId(), "textDocument/inlineCompletion", "{}", Outcome.Error(InvalidRequest));
            yield return Request("after-shutdown", NewId(), "shutdown", "null", Outcome.Error(InvalidRequest));
            yield return Notification("after-shutdown", "textDocument/didChange", Change(ValidUri, 0, 0, "x"));
        }
    }

    // ---- the kinds ----

    private FuzzMessage ScalarParams()
    {
        var value = Pick("\"text\"", "42", "-1.5e300", "true", "false", "\"\"");
        if (_random.Next(3) == 0) return Notification("params-scalar", Pick("textDocument/didChange", "textDocument/didOpen", "atlas/noSuch"), value);
        return Request("params-scalar", NewId(), Pick("textDocument/inlineCompletion", "textDocument/completion", "atlas/noSuch", "shutdown"), value, Outcome.Error(InvalidParams));
    }

    private FuzzMessage UnreadableId()
    {
        var id = Pick("{\"a\":1}", "[1]", "[]", "1.5", "true", "false", "-0.5", "1e3", "1.0",
            "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1e400");
        var body = $$"""{"jsonrpc":"2.0","id":{{id}},"method":"textDocument/completion","params":{{At(ValidUri, 0, 0)}}}""";
        return new("id-unreadable", FuzzMessage.Frame(body), [new Expectation.NullIdError(InvalidRequest)]);
    }

    private FuzzMessage OddButValidId()
    {
        // The fixed ones (0, the 64-bit extremes, "") are used once each, so that no id is ever sent twice by chance.
        var id = _random.Next(4) == 0 && _fixedIds.TryDequeue(out var fixedId) ? fixedId : Pick(
            $"-{NewNumber()}", Json(new string('x', 100_000) + NewNumber()), Json($"ümlaut-☃-{NewNumber()}"),
            $"\"\\u0041\\u0042-{NewNumber()}\"", Json($"with \"quotes\" and \\ {NewNumber()}"), $"\"\\ud83d\\ude00-{NewNumber()}\"");
        return _random.Next(3) switch
        {
            0 => Request("id-odd-but-valid", id, "atlas/noSuch", "{}", Outcome.Error(MethodNotFound)),
            1 => Request("id-odd-but-valid", id, "textDocument/completion", "{}", Outcome.Error(InvalidParams)),
            _ => Request("id-odd-but-valid", id, "textDocument/inlineCompletion", At(ValidUri, 3, 0), Outcome.Result),
        };
    }

    private FuzzMessage NoMethod()
    {
        var id = NewId();
        return _random.Next(4) switch
        {
            0 => Answered($$"""{"jsonrpc":"2.0","id":{{id}}}""", id),
            1 => Answered($$"""{"jsonrpc":"2.0","id":{{id}},"params":{} }""", id),
            2 => Answered($$"""{"jsonrpc":"2.0","id":{{id}},"result":1,"error":{"code":1,"message":"both"} }""", id),
            _ => new("envelope-no-method", FuzzMessage.Frame(Pick("{}", """{"jsonrpc":"2.0"}""", """{"jsonrpc":"2.0","params":[]}""")), [new Expectation.NullIdError(InvalidRequest)]),
        };

        FuzzMessage Answered(string body, string idJson) =>
            new("envelope-no-method", FuzzMessage.Frame(body), [new Expectation.Answer(IdKey.Of(idJson), Outcome.Error(InvalidRequest))]);
    }

    private FuzzMessage BadMethod()
    {
        var method = Pick("null", "5", "\"\"", "[\"shutdown\"]", "{\"name\":\"shutdown\"}", "true");
        if (_random.Next(4) == 0)
            return new("envelope-bad-method", FuzzMessage.Frame($$"""{"jsonrpc":"2.0","method":{{method}},"params":{} }"""), [new Expectation.NullIdError(InvalidRequest)]);
        var id = NewId();
        return new("envelope-bad-method", FuzzMessage.Frame($$"""{"jsonrpc":"2.0","id":{{id}},"method":{{method}},"params":{} }"""),
            [new Expectation.Answer(IdKey.Of(id), Outcome.Error(InvalidRequest))]);
    }

    private FuzzMessage BadVersion()
    {
        var version = Pick("", "\"jsonrpc\":\"1.0\",", "\"jsonrpc\":2.0,", "\"jsonrpc\":null,", "\"jsonrpc\":\"2.0 \",", "\"jsonrpc\":\"\",", "\"jsonrpc\":[\"2.0\"],");
        if (_random.Next(4) == 0)
            return new("envelope-bad-jsonrpc", FuzzMessage.Frame($$"""{{{version}}"method":"textDocument/didSave","params":{} }"""), [new Expectation.NullIdError(InvalidRequest)]);
        var id = NewId();
        return new("envelope-bad-jsonrpc", FuzzMessage.Frame($$"""{{{version}}"id":{{id}},"method":"textDocument/completion","params":{{At(ValidUri, 0, 0)}}}"""),
            [new Expectation.Answer(IdKey.Of(id), Outcome.Error(InvalidRequest))]);
    }

    /// <summary>
    /// Lone UTF-16 surrogates (escapes that are valid JSON but decode to no text) where the envelope is read: the id,
    /// the method, the version. A request with such an id still gets its answer, the id echoed as it was written.
    /// </summary>
    private FuzzMessage LoneSurrogateEnvelope()
    {
        var n = NewNumber();
        var surrogate = Pick("\\ud800", "\\udfff", "\\udc00\\ud800");
        return _random.Next(5) switch
        {
            0 => Request("lone-surrogate-envelope", $"\"id-{surrogate}-{n}\"", "textDocument/completion", At(ValidUri, 0, 0), Outcome.Error(InvalidRequest)),
            1 => RequestSpelled("lone-surrogate-envelope", NewId(), $"\"textDocument/completion{surrogate}\"", At(ValidUri, 0, 0), Outcome.Error(InvalidRequest)),
            2 => new("lone-surrogate-envelope", FuzzMessage.Frame($$"""{"jsonrpc":"2.0{{surrogate}}","id":{{n}},"method":"shutdown"}"""),
                [new Expectation.Answer("n:" + n, Outcome.Error(InvalidRequest))]),
            3 => new("lone-surrogate-envelope", FuzzMessage.Frame($$"""{"jsonrpc":"2.0","id":"{{surrogate}}{{n}}","result":null}"""), []),
            // A method that cannot be read makes no notification either: Invalid Request, with a null id.
            _ => new("lone-surrogate-envelope", FuzzMessage.Frame($$"""{"jsonrpc":"2.0","method":"textDocument/didClose{{surrogate}}","params":{} }"""), [new Expectation.NullIdError(InvalidRequest)]),
        };
    }

    private FuzzMessage ResponseToUnknownId()
    {
        var id = Pick(NewId(), NewNumber().ToString(), "1", "0", "null", "\"never-sent\"", "{\"x\":1}", "1.5");
        var body = _random.Next(2) == 0
            ? $$"""{"jsonrpc":"2.0","id":{{id}},"result":{"title":"Download"} }"""
            : $$"""{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32601,"message":"no"} }""";
        return new("response-to-unknown-id", FuzzMessage.Frame(body), []);
    }

    private FuzzMessage LengthNotANumber() =>
        BadHeader("framing-length-not-a-number", Pick("banana", "", "0x20", "1e3", "12abc", "99999999999999999999", "½"));

    private FuzzMessage LengthNegative() => BadHeader("framing-length-negative", Pick("-1", "-5", "-2147483648"));

    /// <summary>
    /// A body with other headers or none. A header block without a length is a parse error by itself; a bare body is
    /// one only together with whatever header follows it (two bare bodies in a row earn one), so it counts for none.
    /// </summary>
    private FuzzMessage LengthMissing()
    {
        var (body, _) = LostRequest();
        var header = Pick("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n", "X-Length: 60\r\n\r\n", "\r\n", "");
        return new("framing-length-missing", [.. Encoding.ASCII.GetBytes(header), .. body],
            header.Length > 2 ? [new Expectation.NullIdError(ParseError)] : []);
    }

    /// <summary>A Content-Length shorter than the body: the body's start is no JSON, its rest runs into the next header.</summary>
    private FuzzMessage LengthShort()
    {
        var (body, _) = LostRequest();
        // Zero a quarter of the time: an empty body is an edge of its own (it once ended the server).
        var length = _random.Next(4) == 0 ? 0 : _random.Next(1, body.Length);
        return new("framing-length-short", [.. Encoding.ASCII.GetBytes($"Content-Length: {length}\r\n\r\n"), .. body], [new Expectation.NullIdError(ParseError)]);
    }

    /// <summary>
    /// A Content-Length longer than the body swallows part of the request behind it, which goes in the same write (so
    /// the server never waits for bytes the test holds back). The follower may be lost; the server must resynchronise.
    /// </summary>
    private FuzzMessage LengthLong()
    {
        var (body, _) = LostRequest();
        var followerId = NewId();
        var follower = FuzzMessage.Frame(Body(followerId, "atlas/noSuch", "{}"));
        var extra = _random.Next(1, follower.Length + 1);
        return new("framing-length-long", [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length + extra}\r\n\r\n"), .. body, .. follower],
            [new Expectation.NullIdError(ParseError), new Expectation.Answer(IdKey.Of(followerId), Outcome.Error(MethodNotFound), MayBeLost: true)]);
    }

    private FuzzMessage TruncatedJson()
    {
        var (body, _) = LostRequest();
        return new("json-truncated", FuzzMessage.Frame(body[.._random.Next(1, body.Length - 1)]), [new Expectation.NullIdError(ParseError)]);
    }

    /// <summary>Bytes that are not UTF-8 inside a well-framed request: not JSON text, so a parse error and no answer by id.</summary>
    private FuzzMessage InvalidUtf8()
    {
        var bad = PickBytes([0xff], [0xfe, 0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]);
        var id = NewId();
        var (before, after) = _random.Next(3) switch
        {
            0 => ($$"""{"jsonrpc":"2.0","id":{{id}},"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///fuzz/""", $$""".cs"},"position":{"line":0,"character":0} } }"""),
            1 => ($$"""{"jsonrpc":"2.0","id":{{id}},"method":"atlas/noSuch""", "\",\"params\":{}}"),
            _ => ($$"""{"jsonrpc":"2.0","id":"{{id.Trim('"')}}""", "\",\"method\":\"atlas/noSuch\",\"params\":{}}"),
        };
        return new("utf8-invalid", FuzzMessage.Frame([.. Encoding.ASCII.GetBytes(before), .. bad, .. Encoding.ASCII.GetBytes(after)]), [new Expectation.NullIdError(ParseError)]);
    }

    /// <summary>
    /// Nested arrays inside a request's params. StreamJsonRpc reads at most 64 levels, and a message it cannot read
    /// ends its connection, so anything deeper is a parse error; shallow nesting is an ordinary request.
    /// </summary>
    private FuzzMessage DeepJson()
    {
        var depth = Pick(10_000, 10_000, 1_000, 300, 200, 100, 70, 10, 40);
        var nested = new string('[', depth) + new string(']', depth);
        var id = NewId();
        var body = $$"""{"jsonrpc":"2.0","id":{{id}},"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":"{{ValidUri}}"},"position":{"line":2,"character":0},"context":{{nested}}} }""";
        return depth > 60
            ? new("json-deep", FuzzMessage.Frame(body), [new Expectation.NullIdError(ParseError)])
            : new("json-deep", FuzzMessage.Frame(body), [new Expectation.Answer(IdKey.Of(id), Outcome.Result)]);
    }

    /// <summary>A 100 KB header line before a good Content-Length: the frame is refused as a whole.</summary>
    private FuzzMessage HugeHeader()
    {
        var (body, _) = LostRequest();
        var line = Pick("X-Fuzz: ", "Content-Type: ", "") + new string((char)Pick('a', ' ', ':', '{'), 100 * 1024);
        return new("header-huge", [.. Encoding.ASCII.GetBytes($"{line}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body], [new Expectation.NullIdError(ParseError)]);
    }

    /// <summary>A few megabytes of C#, a completion at its end, then closed (the completion may still be running).</summary>
    private FuzzMessage HugeDocument()
    {
        var uri = Scratch();
        const string line = "    total += values[index] * weights[index]; // accumulate the weighted sum\n";
        var lines = _random.Next(1, 4) * 1024 * 1024 / line.Length;
        var text = new StringBuilder("class Huge\n{\n    int Sum(int[] values, int[] weights)\n    {\n        var total = 0;\n")
            .Append(string.Concat(Enumerable.Repeat(line, lines))).Append("        return ").ToString();
        var last = text.Count(c => c == '\n');
        var id = NewId();
        return new("document-huge",
            [.. FuzzMessage.Frame(Body(null, "textDocument/didOpen", Open(uri, text))),
             .. FuzzMessage.Frame(Body(id, "textDocument/inlineCompletion", At(uri, last, 15))),
             .. FuzzMessage.Frame(Body(null, "textDocument/didClose", $$"""{"textDocument":{"uri":"{{uri}}"} }"""))],
            [new Expectation.Answer(IdKey.Of(id), Outcome.Result)]);
    }

    /// <summary>Up to a megabyte that looks like a binary file: NULs, control characters, high Latin-1, no line breaks; then closed.</summary>
    private FuzzMessage BinaryDocument()
    {
        var uri = Scratch();
        var chars = new char[_random.Next(64, 1025) * 1024];
        for (var i = 0; i < chars.Length; i++)
        {
            var c = _random.Next(3) == 0 ? '\0' : (char)_random.Next(0, 256);
            chars[i] = c is '\r' or '\n' or '\u0085' ? '\0' : c;
        }
        var id = NewId();
        return new("document-binary",
            [.. FuzzMessage.Frame(Body(null, "textDocument/didOpen", Open(uri, new string(chars), Pick("csharp", "plaintext", "")))),
             .. FuzzMessage.Frame(Body(id, "textDocument/completion", At(uri, 0, _random.Next(chars.Length + 1)))),
             .. FuzzMessage.Frame(Body(null, "textDocument/didClose", $$"""{"textDocument":{"uri":"{{uri}}"} }"""))],
            [new Expectation.Answer(IdKey.Of(id), Outcome.Result)]);
    }

    private FuzzMessage PositionOutOfRange()
    {
        var lastLine = ValidLines.Length - 1;
        var (line, character) = Pick<(string, string)>(
            ("-1", "0"), ("0", "-1"), ("-2147483648", "0"), ($"{lastLine + 1}", "0"), ($"{lastLine + 50}", "0"),
            ("2147483647", "0"), ("0", "2147483647"), ("2", $"{ValidLines[2].Length + 1}"), ("6", "500"),
            ("2147483648", "0"), ("0", "-2147483649"), ("1.5", "0"), ("0", "1e10"));
        var method = Pick("textDocument/inlineCompletion", "textDocument/completion");
        return Request("position-out-of-range", NewId(), method,
            $$"""{"textDocument":{"uri":"{{ValidUri}}"},"position":{"line":{{line}},"character":{{character}}} }""", Outcome.Error(InvalidParams));
    }

    private FuzzMessage UnknownRequest() =>
        Request("method-unknown-request", NewId(),
            Pick("atlas/noSuchMethod", "textDocument/noSuch", "$/noSuch", "$/setTrace", "$/progress", "rpc.discover", "TEXTDOCUMENT/COMPLETION",
                "textDocument/completion ", "workspace/symbol", "textDocument/hover", new string('m', 10_000)),
            Pick("{}", "[]", "null", "{\"textDocument\":{\"uri\":\"file:///fuzz/Valid.cs\"}}"), Outcome.Error(MethodNotFound));

    private FuzzMessage UnknownNotification() =>
        Notification("method-unknown-notification", Pick("atlas/noSuch", "$/noSuch", "$/setTrace", "$/progress", "$/logTrace", "textDocument/noSuch", "window/logMessage"),
            Pick("{}", "[]", "{\"value\":\"verbose\"}", "{\"token\":1,\"value\":{}}"));

    /// <summary>Notification methods called as requests: they run and get an answer (an empty result), never silence.</summary>
    private FuzzMessage NotificationAsRequest()
    {
        var uri = Scratch();
        var (method, parameters) = Pick(
            ("textDocument/didSave", $$"""{"textDocument":{"uri":"{{uri}}"} }"""),
            ("textDocument/didClose", $$"""{"textDocument":{"uri":"{{uri}}"} }"""),
            ("textDocument/didOpen", Open(uri, "class C { }")),
            ("textDocument/didChange", Change(uri, 0, 0, "x")),
            ("$/cancelRequest", "{\"id\":123456789}"));
        return Request("notification-as-request", NewId(), method, parameters, Outcome.ResultOr(MethodNotFound, InvalidRequest));
    }

    private FuzzMessage MissingField()
    {
        var (method, parameters) = Pick(
            ("textDocument/inlineCompletion", "{}"),
            ("textDocument/inlineCompletion", $$"""{"textDocument":{"uri":"{{ValidUri}}"} }"""),
            ("textDocument/inlineCompletion", """{"position":{"line":0,"character":0}}"""),
            ("textDocument/completion", """{"textDocument":{},"position":{"line":0,"character":0}}"""),
            ("textDocument/completion", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"position":{} }"""),
            ("textDocument/completion", $$"""{"textDocument":null,"position":null}"""),
            ("textDocument/inlineCompletion", "[]"),
            ("textDocument/codeAction", $$"""{"textDocument":{"uri":"{{ValidUri}}"} }"""),
            ("textDocument/codeAction", "{}"),
            ("codeAction/resolve", "{}"),
            ("codeAction/resolve", """{"title":"Atlas: fix this","kind":"quickfix"}"""));
        return Request("params-missing-field", NewId(), method, parameters, Outcome.Error(InvalidParams));
    }

    private FuzzMessage WrongType()
    {
        var (method, parameters) = Pick(
            ("textDocument/inlineCompletion", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"position":"here"}"""),
            ("textDocument/inlineCompletion", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"position":{"line":"first","character":true} }"""),
            ("textDocument/completion", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"position":[0,0]}"""),
            ("textDocument/completion", """{"textDocument":5,"position":{"line":0,"character":0}}"""),
            ("textDocument/completion", """{"textDocument":{"uri":5},"position":{"line":0,"character":0}}"""),
            ("textDocument/inlineCompletion", $$"""{"textDocument":"{{ValidUri}}","position":{"line":0,"character":0} }"""),
            ("textDocument/codeAction", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"range":"all","context":{"diagnostics":[]} }"""),
            ("textDocument/codeAction", $$"""{"textDocument":{"uri":"{{ValidUri}}"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0} },"context":{"diagnostics":"none"} }"""),
            ("codeAction/resolve", """{"title":7,"kind":[],"data":{"uri":1}}"""));
        return Request("params-wrong-type", NewId(), method, parameters, Outcome.Error(InvalidParams));
    }

    /// <summary>Changes nobody can apply: to documents never opened, outside the text, of the wrong shape. Dropped, as notifications.</summary>
    private FuzzMessage BadChange()
    {
        var uri = Scratch();
        var open = FuzzMessage.Frame(Body(null, "textDocument/didOpen", Open(uri, "class Scratch\n{\n}\n")));
        var bad = Pick(
            Change("file:///fuzz/never-opened.cs", 0, 0, "x"),
            Change(uri, 40, 0, "x"),
            Change(uri, -1, -1, "x"),
            Change(uri, 0, 2147483647, "x"),
            $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":null}""",
            $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":{"text":"x"} }""",
            $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":[{"range":{"start":{"line":2,"character":0},"end":{"line":0,"character":0} },"text":"backwards"}]}""",
            $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":[{"text":null}]}""",
            $$"""{"textDocument":{"uri":"{{uri}}"},"contentChanges":[{"text":"no version"}]}""");
        var id = NewId();
        // The document is still open afterwards, with its last good text (or whatever a full replacement left).
        return new("didchange-unopened-or-bad",
            [.. open, .. FuzzMessage.Frame(Body(null, "textDocument/didChange", bad)), .. FuzzMessage.Frame(Body(id, "textDocument/completion", At(uri, 0, 0)))],
            [new Expectation.Answer(IdKey.Of(id), Outcome.Result)]);
    }

    /// <summary>Lone surrogates in document text and in an edit: the documents may refuse them, but a request on them is answered.</summary>
    private FuzzMessage LoneSurrogateText()
    {
        var uri = Scratch();
        var open = $$"""{"textDocument":{"uri":"{{uri}}","languageId":"csharp","version":1,"text":"class S { string s = \"\ud800\"; }\n\udc00"} }""";
        var change = $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0} },"text":"\udbff"}]}""";
        var id = NewId();
        return new("text-lone-surrogate",
            [.. FuzzMessage.Frame(Body(null, "textDocument/didOpen", open)), .. FuzzMessage.Frame(Body(null, "textDocument/didChange", change)),
             .. FuzzMessage.Frame(Body(id, Pick("textDocument/inlineCompletion", "textDocument/completion"), At(uri, 0, Pick(0, 1, 20))))],
            // Not open (its text refused) is Invalid params; open is a result.
            [new Expectation.Answer(IdKey.Of(id), Outcome.ResultOr(InvalidParams))]);
    }

    private FuzzMessage CancelUnknown() =>
        Notification("cancel-unknown", "$/cancelRequest",
            Pick($$"""{"id":{{NewNumber()}}}""", """{"id":"never-sent"}""", """{"id":{"a":1}}""", "{}", """{"id":null}""", """{"id":1.5}""",
                """{"id":"\ud800"}""", """{"id":99999999999999999999}""", "\"x\"", "[1,2]", "[]"));

    /// <summary>
    /// Two requests with one id, back to back: each gets one answer. While the first is in flight the second is Invalid
    /// Request (the id is taken); if the first was answered already, the id is free again and the second is served.
    /// </summary>
    private FuzzMessage DuplicateId()
    {
        var id = NewId();
        var request = FuzzMessage.Frame(Body(id, "textDocument/inlineCompletion", At(ValidUri, 16, 15)));
        var either = Outcome.ResultOr(InvalidRequest);
        return new("id-duplicate", [.. request, .. request], [new Expectation.Answer(IdKey.Of(id), either), new Expectation.Answer(IdKey.Of(id), either)]);
    }

    // ---- building blocks ----

    /// <summary>A request behind bad framing: it must never be answered (its bytes are not a message).</summary>
    private (byte[] Body, string Id) LostRequest()
    {
        var id = NewId();
        return (Encoding.UTF8.GetBytes(Body(id, "textDocument/completion", At(ValidUri, 0, 0))), id);
    }

    private FuzzMessage BadHeader(string kind, string length)
    {
        var (body, _) = LostRequest();
        return new(kind, [.. Encoding.UTF8.GetBytes($"Content-Length: {length}\r\n\r\n"), .. body], [new Expectation.NullIdError(ParseError)]);
    }

    private static FuzzMessage Request(string kind, string idJson, string method, string parameters, Outcome outcome) =>
        RequestSpelled(kind, idJson, Json(method), parameters, outcome);

    /// <summary>A request whose method is given as JSON text (escapes and all).</summary>
    private static FuzzMessage RequestSpelled(string kind, string idJson, string methodJson, string parameters, Outcome outcome) =>
        new(kind, FuzzMessage.Frame(Body(idJson, methodJson, parameters, methodIsJson: true)), [new Expectation.Answer(IdKey.Of(idJson), outcome)]);

    private static FuzzMessage Notification(string kind, string method, string parameters) =>
        new(kind, FuzzMessage.Frame(Body(null, method, parameters)), []);

    private static string Body(string? idJson, string method, string parameters, bool methodIsJson = false)
    {
        var id = idJson is null ? "" : $"\"id\":{idJson},";
        return $$"""{"jsonrpc":"2.0",{{id}}"method":{{(methodIsJson ? method : Json(method))}},"params":{{parameters}}}""";
    }

    private static string At(string uri, int line, int character) =>
        $$"""{"textDocument":{"uri":"{{uri}}"},"position":{"line":{{line}},"character":{{character}}} }""";

    private static string Open(string uri, string text, string language = "csharp") =>
        $$"""{"textDocument":{"uri":"{{uri}}","languageId":{{Json(language)}},"version":1,"text":{{Json(text)}}} }""";

    private static string Change(string uri, int line, int character, string text) =>
        $$"""{"textDocument":{"uri":"{{uri}}","version":2},"contentChanges":[{"range":{"start":{"line":{{line}},"character":{{character}}},"end":{"line":{{line}},"character":{{character}}} },"text":{{Json(text)}}}]}""";

    private static string Json(string text) => JsonSerializer.Serialize(text);

    private string NewId() => _random.Next(2) == 0 ? NewNumber().ToString() : $"\"f-{NewNumber()}\"";

    private long NewNumber() => _nextId++;

    private string Scratch() => $"file:///fuzz/scratch-{_nextScratch++}.cs";

    private T Pick<T>(params T[] choices) => choices[_random.Next(choices.Length)];

    private byte[] PickBytes(params byte[][] choices) => choices[_random.Next(choices.Length)];
}
