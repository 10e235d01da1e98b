namespace Atlas.Engine.Decoding;

/// <summary>Picks the next token from logits; the token it returns is the one decoded next.</summary>
internal interface ITokenChooser
{
    int Next(ReadOnlySpan<float> logits);
}
