using LLama.Native;

namespace Atlas.Engine.Loading;

/// <summary>
/// Decides the KV cache element type for a model. Quantized types store blocks of 32 values, so llama.cpp
/// refuses them unless the attention head size is a multiple of 32; rather than let context creation fail,
/// we fall back to f16 and say so once.
/// </summary>
public sealed record KvCachePlan(KvCacheType Requested, KvCacheType Effective, string? Warning)
{
    /// <summary>Elements per quantization block for q8_0 and q4_0.</summary>
    public const int QuantBlockSize = 32;

    public static KvCachePlan For(KvCacheType requested, int headSizeK, int headSizeV)
    {
        if (requested == KvCacheType.F16 || (headSizeK % QuantBlockSize == 0 && headSizeV % QuantBlockSize == 0))
            return new KvCachePlan(requested, requested, null);
        return new KvCachePlan(requested, KvCacheType.F16,
            $"KV cache type {Name(requested)} needs an attention head size divisible by {QuantBlockSize}; " +
            $"this model's is {headSizeK} (K) / {headSizeV} (V), so the KV cache uses f16.");
    }

    public static string Name(KvCacheType type) => type switch
    {
        KvCacheType.Q8_0 => "q8_0",
        KvCacheType.Q4_0 => "q4_0",
        _ => "f16",
    };

    /// <summary>Parses the names users write in settings ("q8_0", "f16", "q4_0"), case-insensitively.</summary>
    public static KvCacheType Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "q8_0" or "q8" => KvCacheType.Q8_0,
        "f16" => KvCacheType.F16,
        "q4_0" or "q4" => KvCacheType.Q4_0,
        _ => throw new ArgumentException($"Unknown KV cache type '{name}': use q8_0, f16 or q4_0."),
    };

    internal GGMLType NativeType => Effective switch
    {
        KvCacheType.Q8_0 => GGMLType.GGML_TYPE_Q8_0,
        KvCacheType.Q4_0 => GGMLType.GGML_TYPE_Q4_0,
        _ => GGMLType.GGML_TYPE_F16,
    };
}
