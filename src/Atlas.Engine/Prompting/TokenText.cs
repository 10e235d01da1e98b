using System.Text;
using Atlas.Engine.Loading;
using LLama;
using LLama.Native;

namespace Atlas.Engine.Prompting;

/// <summary>Turns tokens back into text, joining multi-byte UTF-8 characters that span token boundaries.</summary>
internal static class TokenText
{
    public static string Decode(LoadedModel model, ReadOnlySpan<LLamaToken> tokens)
    {
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, model.Weights.NativeHandle);
        decoder.AddRange(tokens);
        return decoder.Read();
    }
}
