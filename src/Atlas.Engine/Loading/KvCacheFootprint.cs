using Microsoft.Extensions.Logging;

namespace Atlas.Engine.Loading;

/// <summary>Measures what a KV cache of a given type and length costs, by creating one and reading llama.cpp's own accounting.</summary>
public static class KvCacheFootprint
{
    /// <summary>
    /// Bytes llama.cpp allocates for the KV cache at this type and context size, and the type it really used
    /// (f16 when the head size cannot take a quantized type).
    /// </summary>
    public static (long? Bytes, KvCacheType Effective) Measure(LoadedModel model, KvCacheType type, int contextSize, ILogger logger)
    {
        var settings = model.Settings with { KvCache = type, ContextSize = contextSize };
        using var probe = LoadedModel.WithContextSettings(model, settings, logger);
        using var session = new Decoding.KvCacheSession(probe, logger);
        return (session.KvCacheBytes, probe.KvPlan.Effective);
    }
}
