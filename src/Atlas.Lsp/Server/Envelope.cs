using System.Text.Json;

namespace Atlas.Lsp.Server;

/// <summary>
/// JSON-RPC 2.0's rules for one incoming message, checked before StreamJsonRpc sees it. StreamJsonRpc ends the
/// connection on a well-formed message of the wrong shape (params that are a string, an id that is an object, an
/// envelope with no method, a response to a request it never sent), and a real editor sends some of these (a late
/// answer to a server request). Here each gets what the specification says: a request that can be answered gets
/// Invalid Request or Invalid Params with its id (or a null id when the id itself is unreadable); a notification or a
/// response, which nobody waits for, is dropped and logged.
/// </summary>
internal static class Envelope
{
    public const int InvalidRequest = -32600;
    public const int InvalidParams = -32602;

    /// <summary>What to do with a message that may not go on: the answer to send (null: none), and why, for the log.</summary>
    public sealed record Refusal(byte[]? Answer, string Why);

    /// <summary>
    /// Null when the message may go on to StreamJsonRpc. <paramref name="awaited"/> says whether a response's id is
    /// one of the server's requests still waiting for an answer (and takes it off the list).
    /// </summary>
    public static Refusal? Check(JsonElement message, Func<string, bool> awaited)
    {
        var hasId = message.TryGetProperty("id", out var id);
        var idReadable = hasId && Readable(id);
        // An id StreamJsonRpc cannot read (a string holding a lone surrogate) is still the editor's id: echoed as written.
        var answerId = hasId && (idReadable || id.ValueKind == JsonValueKind.String) ? id.GetRawText() : "null";

        if (!message.TryGetProperty("jsonrpc", out var version) || Text(version) != "2.0")
            return Refuse(InvalidRequest, "\"jsonrpc\" must be \"2.0\"", answerId, answer: true);

        if (message.TryGetProperty("method", out var method))
        {
            if (Text(method) is not { Length: > 0 } name)
                return Refuse(InvalidRequest, "\"method\" must be a non-empty string of valid text", answerId, answer: true);
            if (hasId && !idReadable)
                return Refuse(InvalidRequest, "\"id\" must be an integer or a string of valid text", answerId, answer: true);
            // null is taken as no params: clients send it for exit and shutdown, and StreamJsonRpc reads it so.
            if (message.TryGetProperty("params", out var parameters) && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
                return Refuse(InvalidParams, $"\"params\" of {name} must be an object or an array, not {Describe(parameters)}", answerId, answer: hasId);
            return null;
        }

        // No method: a response to one of the server's requests, or nothing JSON-RPC knows.
        var isResponse = message.TryGetProperty("result", out _) ^ message.TryGetProperty("error", out _);
        if (!isResponse) return Refuse(InvalidRequest, "a message needs a \"method\", or an \"id\" with one of \"result\" and \"error\"", answerId, answer: true);
        if (!idReadable || !awaited(IdKey(id))) return new Refusal(null, $"a response to no request of the server's (id {(hasId ? id.GetRawText() : "missing")}), dropped");
        return null;
    }

    /// <summary>
    /// A readable id as one value, however it was written (escapes in a string, the digits of a number), so the id
    /// of a request the server sent and the id of the editor's answer compare equal.
    /// </summary>
    public static string IdKey(JsonElement id) =>
        id.ValueKind == JsonValueKind.String ? "s:" + id.GetString() : "n:" + id.GetInt64();

    /// <summary>An id LSP allows and StreamJsonRpc can read: a string of valid text, or an integer that fits in 64 bits.</summary>
    private static bool Readable(JsonElement id) =>
        Text(id) is not null || (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out _));

    /// <summary>
    /// A string's text; null for anything else, and for a string whose escapes make no valid UTF-16 (a lone surrogate
    /// such as "\ud800" is valid JSON, but reading it throws, and StreamJsonRpc ended the connection when it did).
    /// </summary>
    private static string? Text(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String) return null;
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    private static Refusal Refuse(int code, string why, string id, bool answer) =>
        new(answer ? ErrorAnswer(code, $"{(code == InvalidParams ? "Invalid params" : "Invalid Request")}: {why}.", id) : null, why);

    /// <summary>
    /// The id of a message that passed <see cref="Check"/> as JSON text for an answer, or null when it is a notification.
    /// </summary>
    public static string? RequestId(JsonElement message) => message.TryGetProperty("id", out var id) ? id.GetRawText() : null;

    /// <summary>An error answer; <paramref name="id"/> is the request's id as JSON text, or "null".</summary>
    public static byte[] ErrorAnswer(int code, string message, string id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            writer.WriteRawValue(id);
            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
