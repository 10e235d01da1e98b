namespace Atlas.Lsp.Server;

/// <summary>
/// JSON may escape a lone UTF-16 surrogate ("\ud800" with no low half after it): editors send such text when a file
/// holds a broken character, and System.Text.Json refuses to read it as a string, which dropped the whole didOpen
/// (later requests said "Document not open"). Each lone surrogate escape becomes U+FFFD, the replacement character,
/// in place: both escapes are six bytes, so the frame keeps its length and every other character its position.
/// </summary>
internal static class LoneSurrogates
{
    /// <summary>Replaces the lone surrogate escapes in a JSON body in place; answers how many there were.</summary>
    public static int Replace(byte[] body)
    {
        var replaced = 0;
        for (var i = 0; i < body.Length - 1; i++)
        {
            if (body[i] != '\\') continue;
            if (body[i + 1] != 'u')
            {
                i++; // an escape like \\ or \": its second byte starts nothing
                continue;
            }
            var unit = Unit(body, i);
            if (unit is >= 0xD800 and <= 0xDBFF && Unit(body, i + 6) is >= 0xDC00 and <= 0xDFFF)
            {
                i += 11; // a proper pair
                continue;
            }
            if (unit is >= 0xD800 and <= 0xDFFF)
            {
                "\\ufffd"u8.CopyTo(body.AsSpan(i));
                replaced++;
            }
            if (unit >= 0) i += 5;
        }
        return replaced;
    }

    /// <summary>The UTF-16 unit of a \uXXXX escape at <paramref name="at"/>, or -1 when there is none.</summary>
    private static int Unit(byte[] body, int at)
    {
        if (at + 6 > body.Length || body[at] != '\\' || body[at + 1] != 'u') return -1;
        var value = 0;
        for (var k = at + 2; k < at + 6; k++)
        {
            var digit = HexDigit(body[k]);
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
