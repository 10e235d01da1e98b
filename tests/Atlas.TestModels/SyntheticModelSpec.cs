using Atlas.TestModels.Gguf;

namespace Atlas.TestModels;

/// <summary>Which model family's fill-in-the-middle tokens a synthetic model gets (see <see cref="FimVocabulary"/>).</summary>
public enum FimTokens
{
    None,
    Qwen,
    StarCoder,
    CodeLlama,
    DeepSeek,
    Codestral,
}

/// <summary>
/// The shape and content of a synthetic llama-architecture model. Equal specs produce byte-identical files, which
/// is what lets <see cref="SyntheticModel.GetOrCreate"/> cache them. The defaults make a small model (about 35 MB
/// in F16, most of it the two 32,000-row vocabulary matrices) whose head size is 64, so every KV cache type
/// llama.cpp offers, q8_0 included, works with it.
/// </summary>
public sealed record SyntheticModelSpec
{
    private readonly int? _kvHeadCount;

    public int EmbeddingLength { get; init; } = 256;

    public int HeadCount { get; init; } = 4;

    /// <summary>Grouped-query attention's KV heads; defaults to <see cref="HeadCount"/> (plain multi-head attention).</summary>
    public int KvHeadCount
    {
        get => _kvHeadCount ?? HeadCount;
        init => _kvHeadCount = value;
    }

    public int LayerCount { get; init; } = 2;

    public int FeedForwardLength { get; init; } = 512;

    /// <summary>The training context the model claims (llama.context_length); a context may be created smaller.</summary>
    public int ContextLength { get; init; } = 32768;

    /// <summary>Seeds every weight. Two specs differing only in Seed are unrelated models with the same tokenizer.</summary>
    public int Seed { get; init; } = 1;

    public FimTokens Fim { get; init; } = FimTokens.None;

    /// <summary>
    /// With <see cref="NoiseScale"/>, makes a "draft" of the <see cref="Seed"/> model: every weight matrix becomes
    /// W + NoiseScale * N, where N is drawn from this seed with W's own scale. So NoiseScale is relative: 0 gives the
    /// target's exact weights, 0.05 a draft that mostly agrees with it, 1 one that rarely does.
    /// </summary>
    public int? NoiseSeed { get; init; }

    public float NoiseScale { get; init; }

    /// <summary>
    /// Overrides tokenizer.ggml.eos_token_id, so any chosen token ends generation (llama.cpp counts EOS as
    /// end-of-generation); null keeps the donor's EOS. Must be an id in the final vocabulary.
    /// </summary>
    public int? EosTokenId { get; init; }

    /// <summary>
    /// Renames this token to <see cref="SyntheticModel.NewlineTokenText"/>, a text that ends in a line break, keeping
    /// every weight: the model's greedy output is unchanged, but wherever it emits this token the line breaks.
    /// Tests use it to put an end of line exactly where they want one.
    /// </summary>
    public int? NewlineTokenId { get; init; }

    /// <summary>
    /// With <see cref="LayerDamping"/>: layers from this index on write only a damped share into the residual
    /// stream (their attention output and feed-forward down projections are scaled). Weights are keyed by tensor name,
    /// so a model with the same seed and <c>LayerCount = DampedFromLayer</c> is this model's first layers exactly: a
    /// cheap draft that agrees with its target often but not always, as a small sibling model does.
    /// </summary>
    public int? DampedFromLayer { get; init; }

    /// <summary>The scale of the damped layers' output projections (1 = not damped).</summary>
    public float LayerDamping { get; init; } = 1f;

    /// <summary>F16 (default, half the size) or F32 for the weight matrices; norms are always F32, as llama.cpp expects.</summary>
    public GgmlType WeightType { get; init; } = GgmlType.F16;

    /// <summary>The GGUF whose tokenizer is copied; null means the shared llama-2-tiny-random.gguf (see <see cref="SharedModels"/>).</summary>
    public string? DonorPath { get; init; }

    public int HeadSize => EmbeddingLength / HeadCount;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field llama.cpp could not load or we cannot write.</summary>
    public void Validate()
    {
        Positive(EmbeddingLength, nameof(EmbeddingLength));
        Positive(HeadCount, nameof(HeadCount));
        Positive(KvHeadCount, nameof(KvHeadCount));
        Positive(LayerCount, nameof(LayerCount));
        Positive(FeedForwardLength, nameof(FeedForwardLength));
        Positive(ContextLength, nameof(ContextLength));
        if (EmbeddingLength % HeadCount != 0)
            throw new ArgumentException($"{nameof(EmbeddingLength)} {EmbeddingLength} is not a multiple of {nameof(HeadCount)} {HeadCount}.");
        if (HeadSize % 2 != 0)
            throw new ArgumentException($"Head size {HeadSize} must be even for rotary embeddings.");
        if (HeadCount % KvHeadCount != 0)
            throw new ArgumentException($"{nameof(HeadCount)} {HeadCount} is not a multiple of {nameof(KvHeadCount)} {KvHeadCount}.");
        if (WeightType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0))
            throw new ArgumentException($"{nameof(WeightType)} must be F32, F16 or Q8_0, not {WeightType}.");
        if (WeightType == GgmlType.Q8_0 && (EmbeddingLength % 32 != 0 || FeedForwardLength % 32 != 0))
            throw new ArgumentException("Q8_0 weights need an embedding and feed-forward length that are multiples of 32.");
        if (!float.IsFinite(NoiseScale) || NoiseScale < 0)
            throw new ArgumentException($"{nameof(NoiseScale)} must be a finite number >= 0, not {NoiseScale}.");
        if (!float.IsFinite(LayerDamping) || LayerDamping < 0)
            throw new ArgumentException($"{nameof(LayerDamping)} must be a finite number >= 0, not {LayerDamping}.");
        if (NewlineTokenId < 0)
            throw new ArgumentException($"{nameof(NewlineTokenId)} must be a token id, not {NewlineTokenId}.");
        if (EosTokenId < 0)
            throw new ArgumentException($"{nameof(EosTokenId)} must be a token id, not {EosTokenId}.");
        if (NoiseScale != 0 && NoiseSeed is null)
            throw new ArgumentException($"{nameof(NoiseScale)} {NoiseScale} needs a {nameof(NoiseSeed)} to draw the noise from.");
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, not {value}.");
    }
}
