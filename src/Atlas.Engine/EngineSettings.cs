using Atlas.Engine.Loading;

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

    /// <summary>CPU threads for generating, one token at a time; null: <see cref="DefaultThreads"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>CPU threads for evaluating a prompt, many tokens per call; null: <see cref="DefaultBatchThreads"/>.</summary>
    public int? BatchThreads { get; init; }

    /// <summary>
    /// Threads without a setting: the physical cores (llama.cpp's own default; hyper-thread siblings only slow its
    /// barrier-synchronised threads down), less, per request, the cores other processes keep busy (see
    /// <see cref="AdaptiveThreads"/>).
    /// </summary>
    public static int DefaultThreads => CpuCores.Physical;

    /// <summary>Prompt-evaluation threads without a setting: as for generation (measured: fewer lost idle, more lost under load).</summary>
    public static int DefaultBatchThreads => CpuCores.Physical;

    /// <summary>
    /// With neither thread count set, each request takes the physical cores other processes leave free
    /// (<see cref="Loading.CpuContention"/>): on 2 cores next to a busy process, one thread answered faster than two,
    /// and alone, two faster than one.
    /// </summary>
    public bool AdaptiveThreads => Threads is null && BatchThreads is null;

    internal int EffectiveThreads => Threads is > 0 ? Threads.Value : DefaultThreads;

    internal int EffectiveBatchThreads => BatchThreads is > 0 ? BatchThreads.Value : Threads is > 0 ? Threads.Value : DefaultBatchThreads;

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
    /// CPU threads for the draft model (default 1). A draft's forward pass is so small that splitting it between threads
    /// costs more in synchronisation than it saves, and with one thread it never waits for a core another process holds
    /// (bench decode measures both).
    /// </summary>
    public int DraftThreads { get; init; } = 1;

    /// <summary>
    /// KV cache type of the draft's context (default f16, and then without flash attention). A draft's cache is a few MB
    /// at any context, and on CPU f16 without flash attention is its fastest path: single steps as fast as flash
    /// attention on q8_0, the batches of its prompt and catch-ups two to three times faster (bench decode --grid). A
    /// quantized type runs with flash attention, as the target does.
    /// </summary>
    public KvCacheType DraftKvCache { get; init; } = KvCacheType.F16;

    /// <summary>
    /// Weigh every draft against the pair's measured costs (default on): draft only as far as the expected gain
    /// (acceptance and tokens per pass against the draft's and the target's call costs, measured at load and followed
    /// during requests) is above 1, and not at all where it is not, probing now and then. Off: draft up to
    /// <see cref="DraftMax"/> every pass, as long as the draft is confident.
    /// </summary>
    public bool DraftCostCheck { get; init; } = true;

    /// <summary>
    /// Greedy decisions whose top two logits are closer than this, read from a batch of several tokens, are decided again
    /// from a single-token step (default 0.05). llama.cpp computes a batch with other kernels than a single token, so its
    /// logits differ in the last bits and a near-tie can flip; re-deciding makes speculative output the target alone's
    /// (see the README's identity figures for the differences measured).
    /// </summary>
    public float TieMargin { get; init; } = DefaultTieMargin;

    /// <summary>Default <see cref="TieMargin"/>.</summary>
    public const float DefaultTieMargin = 0.05f;

    /// <summary>
    /// Adapt the draft length as the pair agrees: after a rejection the next draft is no longer than what was
    /// accepted plus one, after a fully accepted draft it doubles again, up to <see cref="DraftMax"/>. Off by default:
    /// see the README's speculative-decoding figures for what it measured.
    /// </summary>
    public bool DraftAdaptive { get; init; }
}
