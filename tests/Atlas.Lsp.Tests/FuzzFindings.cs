namespace Atlas.Lsp.Tests;

/// <summary>
/// Messages the protocol fuzzer (<see cref="ProtocolFuzzTests"/>) found that ended, hung or misanswered the server,
/// byte for byte, with the answer each is owed now that the server is fixed. Each is replayed alone on a fresh server.
/// </summary>
internal static class FuzzFindings
{
    private const string Position = "\"position\":{\"line\":0,\"character\":0}";
    private const string Valid = """{"textDocument":{"uri":"file:///fuzz/Valid.cs"},""" + Position + "}";

    public static readonly IReadOnlyDictionary<string, FuzzMessage> Cases = new Dictionary<string, FuzzMessage>
    {
        // Ended the server: StreamJsonRpc could not read the id as text and closed the connection.
        ["lone surrogate in a request's id"] = Answered(
            """{"jsonrpc":"2.0","id":"id-\udfff-1000025","method":"textDocument/completion","params":""" + Valid + "}", """ "id-\udfff-1000025" """, -32600),
        // Ended the server: the same, for the method.
        ["lone surrogate in a method"] = Answered(
            """{"jsonrpc":"2.0","id":1000188,"method":"textDocument/completion\udc00\ud800","params":""" + Valid + "}", "1000188", -32600),
        // Ended the server: the guard itself threw reading the version, and its input pump stopped.
        ["lone surrogate in jsonrpc"] = Answered("""{"jsonrpc":"2.0\ud800","id":1000020,"method":"shutdown"}""", "1000020", -32600),
        // Ended the server: the guard threw reading the id of a response it was about to drop.
        ["lone surrogate in a response's id"] = new("finding", FuzzMessage.Frame("""{"jsonrpc":"2.0","id":"\udc00\ud8001000020","result":null}"""), []),
        // Ended the server: the guard read up to 256 levels, StreamJsonRpc 64; 65 to 256 passed one and killed the other.
        ["params nested 65 levels deep"] = ParseError(
            """{"jsonrpc":"2.0","id":1000023,"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":"file:///fuzz/Valid.cs"},"position":{"line":2,"character":0},"context":"""
            + new string('[', 63) + new string(']', 63) + "}}"),
        ["params nested 100 levels deep"] = ParseError(
            """{"jsonrpc":"2.0","id":1000024,"method":"textDocument/completion","params":[""" + new string('[', 98) + new string(']', 98) + "]}"),
        // Ended the server: bytes that are not UTF-8 in an id passed the parser (it checks a string's bytes only when
        // the string is read) and the guard's answer echoing the id could not be written.
        ["bytes that are not UTF-8 in an id"] = new("finding",
            FuzzMessage.Frame([.. "{\"jsonrpc\":\"2.0\",\"id\":\"f-1000195"u8.ToArray(), 0xf8, 0x88, 0x80, 0x80, 0x80, .. "\",\"method\":\"atlas/noSuch\",\"params\":{}}"u8.ToArray()]),
            [new Expectation.NullIdError(-32700)]),
        // Ended the server: resynchronising after an empty body read past its end (found reading the code the fuzzer
        // pointed at; it now draws Content-Length 0 often).
        ["Content-Length 0 before a body"] = new("finding",
            [.. "Content-Length: 0\r\n\r\n"u8.ToArray(), .. "{\"jsonrpc\":\"2.0\",\"id\":1000400,\"method\":\"atlas/noSuch\"}"u8.ToArray()],
            [new Expectation.NullIdError(-32700)]),
        // Misanswered, depending on timing: a "Content-Type:" line over 64 KB was garbage when it arrived in pieces, and a
        // valid header (the request behind it served) when one read took it whole.
        ["a header line over 64 KB read in one piece"] = LongHeader(),
        // Misanswered: the second got StreamJsonRpc's -32000 "An item with the same key has already been added".
        ["two requests with one id while the first is in progress"] = TwoWithOneId(
            """{"jsonrpc":"2.0","id":1000301,"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":"file:///fuzz/Valid.cs"},"position":{"line":16,"character":15}}}"""),
        // Misanswered: -32000 "Value cannot be null. (Parameter 'key')".
        ["a document identifier without its uri"] = Answered(
            """{"jsonrpc":"2.0","id":1000275,"method":"textDocument/completion","params":{"textDocument":{},""" + Position + "}}", "1000275", -32602),
        // Misanswered: served as 0:0.
        ["a position without its line and character"] = Answered(
            """{"jsonrpc":"2.0","id":1000261,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///fuzz/Valid.cs"},"position":{}}}""", "1000261", -32602),
    };

    private static FuzzMessage Answered(string body, string idJson, int code) =>
        new("finding", FuzzMessage.Frame(body), [new Expectation.Answer(IdKey.Of(idJson.Trim()), Outcome.Error(code))]);

    /// <summary>
    /// Just over 64 KB, so that the reader's first 64 KB buffer holds all but its end and the next read brings the line
    /// break: the way a line arrives in one piece.
    /// </summary>
    private static FuzzMessage LongHeader()
    {
        var body = """{"jsonrpc":"2.0","id":1000401,"method":"atlas/noSuch"}"""u8.ToArray();
        return new("finding",
            [.. "Content-Type: "u8.ToArray(), .. Enumerable.Repeat((byte)' ', 64 * 1024), .. "\r\n"u8.ToArray(), .. FuzzMessage.Frame(body)],
            [new Expectation.NullIdError(-32700)]);
    }

    private static FuzzMessage ParseError(string body) => new("finding", FuzzMessage.Frame(body), [new Expectation.NullIdError(-32700)]);

    /// <summary>Both are answered: the first with its result, the second (its id taken) with Invalid Request.</summary>
    private static FuzzMessage TwoWithOneId(string body)
    {
        var frame = FuzzMessage.Frame(body);
        return new("finding", [.. frame, .. frame],
            [new Expectation.Answer("n:1000301", Outcome.Result), new Expectation.Answer("n:1000301", Outcome.Error(-32600))]);
    }
}
