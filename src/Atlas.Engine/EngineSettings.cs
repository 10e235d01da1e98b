namespace Atlas.Engine;

/// <summary>Which element type the KV cache stores for keys and values.</summary>
public enum KvCacheType
{
    /// <summary>8-bit blocks of 32: about half the memory of f16, so long files fit. The default.</summary>
    Q8_0,
    /// <summary>Unquantized half floats: the fallback when a model's head size cannot take q8_0.</summary>
    F16,
    /// <summary>4-bit blocks of 32: a quarter of f16, at some cost in quality.</summary>
    Q4_0,
}

/// <summary>
/// Everything that decides how a model is loaded and its context created. Each knob has one name and one
/// documented default here; nothing else in the engine hard-codes these numbers.
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Default context window in tokens: room for a long file's window plus repository context.</summary>
    public const int DefaultContextSize = 8192;

    /// <summary>Default number of tokens decoded per native batch while evaluating a prompt.</summary>
    public const int DefaultBatchSize = 512;

    /// <summary>Path to the GGUF model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Context window in tokens (default 8192). Prompts longer than this are cut, oldest prefix first.</summary>
    public int ContextSize { get; init; } = DefaultContextSize;

    /// <summary>
    /// CPU threads for decoding; null means every logical processor (LLamaSharp alone would take half of them,
    /// which leaves a 2-core machine decoding on one).
    /// </summary>
    public int? Threads { get; init; }

    internal int EffectiveThreads => Threads is > 0 ? Threads.Value : Environment.ProcessorCount;

    /// <summary>Layers offloaded to a GPU. Honoured by a GPU backend (Cuda12); harmless on the CPU backend.</summary>
    public int GpuLayers { get; init; }

    /// <summary>Tokens per native decode call while evaluating a prompt (default 512).</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>KV cache element type for both K and V (default q8_0; falls back to f16 when the head size forbids it).</summary>
    public KvCacheType KvCache { get; init; } = KvCacheType.Q8_0;

    /// <summary>
    /// A small model of the same family that drafts tokens for the target to verify (speculative decoding).
    /// Null: the target decodes alone. A draft whose vocabulary differs from the target's is refused.
    /// </summary>
    public string? DraftModelPath { get; init; }

    /// <summary>Most tokens the draft proposes per target pass (default 16, as llama.cpp's --draft-max).</summary>
    public int DraftMax { get; init; } = 16;

    /// <summary>Fewest drafted tokens worth a batched verification; shorter drafts are dropped (default 0).</summary>
    public int DraftMin { get; init; }

    /// <summary>The draft stops proposing once its own top probability falls below this (default 0.75, as llama.cpp's --draft-p-min).</summary>
    public float DraftMinProbability { get; init; } = 0.75f;

    /// <summary>
    /// Adapt the draft length as the pair agrees: after a rejection the next draft is no longer than what was
    /// accepted plus one, after a fully accepted draft it doubles again, up to <see cref="DraftMax"/>. Off by default:
    /// see the README's speculative-decoding figures for what it measured.
    /// </summary>
    public bool DraftAdaptive { get; init; }
}
