using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Atlas.Lsp.Tests;

/// <summary>
/// One unit of hostile input: the exact bytes written to the server (one frame, or a few that only make sense
/// together, such as a frame whose Content-Length swallows the next one), and what the server owes it.
/// </summary>
internal sealed record FuzzMessage(string Kind, byte[] Bytes, IReadOnlyList<Expectation> Expected)
{
    /// <summary>A body with a correct Content-Length header.</summary>
    public static byte[] Frame(string body) => Frame(Encoding.UTF8.GetBytes(body));

    public static byte[] Frame(byte[] body) => [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body];

    public override string ToString() => $"{Kind}: {Printable(Bytes)}";

    /// <summary>The bytes as text for a failure message: long runs cut, control bytes and non-ASCII escaped.</summary>
    public static string Printable(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.Length > 400 ? bytes[..400] : bytes)
            text.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}");
        return bytes.Length > 400 ? $"{text}… ({bytes.Length} bytes)" : text.ToString();
    }
}

/// <summary>What the server must send back for a message.</summary>
internal abstract record Expectation
{
    /// <summary>
    /// One answer carrying this request's id. <paramref name="MayBeLost"/>: the request rode behind bad framing that
    /// is allowed to swallow it, so no answer is fine too, but never two and never a wrong one.
    /// </summary>
    public sealed record Answer(string IdKey, Outcome Outcome, bool MayBeLost = false) : Expectation;

    /// <summary>
    /// An error answer with a null id: Invalid Request for a message whose id cannot be read (exactly one each), or
    /// Parse error for bytes that are no message (at least one each: the rest of a bad frame can earn another).
    /// </summary>
    public sealed record NullIdError(int Code) : Expectation;
}

/// <summary>What an answer may be: a result, and/or an error with one of these codes.</summary>
internal sealed record Outcome(bool ResultAllowed, int[] Codes)
{
    public static readonly Outcome Result = new(true, []);

    public static Outcome Error(int code) => new(false, [code]);

    public static Outcome ResultOr(params int[] codes) => new(true, codes);

    public bool Admits(JsonObject answer) =>
        answer["error"] is { } error
            ? error["code"] is JsonValue code && code.TryGetValue<int>(out var c) && Codes.Contains(c)
            : ResultAllowed && answer.ContainsKey("result");

    public override string ToString() =>
        string.Join(" or ", (ResultAllowed ? ["a result"] : Array.Empty<string>()).Concat(Codes.Select(c => $"error {c}")));
}

/// <summary>
/// A request id as one comparable value however it is spelled: a string's text, an integer's value. A string the
/// runtime cannot decode (a lone UTF-16 surrogate escape) is compared by its JSON text, which the server echoes as sent.
/// Null for ids no answer can carry (objects, fractions, numbers beyond 64 bits).
/// </summary>
internal static class IdKey
{
    public static string? Of(JsonElement id)
    {
        if (id.ValueKind == JsonValueKind.Number) return id.TryGetInt64(out var n) ? "n:" + n : null;
        if (id.ValueKind != JsonValueKind.String) return null;
        try
        {
            return "s:" + id.GetString();
        }
        catch (InvalidOperationException)
        {
            return "raw:" + id.GetRawText();
        }
    }

    /// <summary>The key of an id written as JSON text.</summary>
    public static string Of(string idJson)
    {
        using var document = JsonDocument.Parse(idJson);
        return Of(document.RootElement) ?? throw new ArgumentException($"{idJson} is no id an answer can carry");
    }

    /// <summary>The key of an answer's id; null for a null id.</summary>
    public static string? Of(JsonNode? id) => id is JsonValue value && value.TryGetValue<JsonElement>(out var element) ? Of(element) : null;
}
