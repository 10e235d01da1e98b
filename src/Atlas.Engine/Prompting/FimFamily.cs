namespace Atlas.Engine.Prompting;

/// <summary>The fill-in-the-middle conventions a model was trained with.</summary>
public enum FimFamily
{
    /// <summary>No FIM tokens: the model continues the prefix and never sees the suffix.</summary>
    None,
    /// <summary>Qwen2.5-Coder (and CodeGemma, which shares its markers).</summary>
    Qwen,
    /// <summary>StarCoder, StarCoder2, SantaCoder.</summary>
    StarCoder,
    /// <summary>Code Llama: the markers are sentencepiece tokens with a leading word boundary.</summary>
    CodeLlama,
    /// <summary>DeepSeek-Coder (v1 and v2).</summary>
    DeepSeek,
    /// <summary>Codestral: suffix first, then prefix (SPM order).</summary>
    Codestral,
}
