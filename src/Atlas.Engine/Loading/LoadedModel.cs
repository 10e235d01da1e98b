using System.Collections.Frozen;
using System.Text;
using Atlas.Engine.Prompting;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Atlas.Engine.Loading;

/// <summary>
/// A GGUF model loaded once and kept resident: the weights, the tokenizer, and what we learned about the model
/// at load (its FIM family, its special tokens, its head size). Owns the native weights handle.
/// </summary>
public sealed class LoadedModel : IDisposable
{

    private readonly FrozenDictionary<string, int> _specialTokens;

    private readonly bool _ownsWeights = true;

    private LoadedModel(EngineSettings settings, LLamaWeights weights, ModelParams parameters, KvCachePlan kvPlan)
    {
        Settings = settings;
        Weights = weights;
        Parameters = parameters;
        KvPlan = kvPlan;
        _specialTokens = IndexSpecialTokens(weights.NativeHandle.Vocab);
        Template = FimTemplate.Detect(_specialTokens);
        StopTokens = Template.StopMarkers
            .Select(m => _specialTokens.TryGetValue(m, out var id) ? id : -1)
            .Where(id => id >= 0)
            .ToFrozenSet();
        var meta = weights.Metadata;
        Name = meta.TryGetValue("general.name", out var n) && !string.IsNullOrWhiteSpace(n) ? n : Path.GetFileNameWithoutExtension(settings.ModelPath);
    }

    public EngineSettings Settings { get; }
    public string Name { get; }
    public FimTemplate Template { get; }
    public KvCachePlan KvPlan { get; }
    public int VocabularySize => Weights.NativeHandle.Vocab.Count;
    internal LLamaWeights Weights { get; }
    internal ModelParams Parameters { get; }
    internal FrozenSet<int> StopTokens { get; }
    internal SafeLlamaModelHandle.Vocabulary Vocab => Weights.NativeHandle.Vocab;

    /// <summary>
    /// Loads the model, refusing a missing or non-GGUF file with a one-line <see cref="ModelLoadException"/>
    /// before llama.cpp sees it.
    /// </summary>
    public static Task<LoadedModel> LoadAsync(EngineSettings settings, ILogger logger, IProgress<float>? progress = null, CancellationToken cancellationToken = default) =>
        LoadAsync(settings, logger, progress, flashAttention: true, cancellationToken);

    /// <param name="flashAttention">Off only for a context whose KV cache is f16 (quantized V needs flash attention).</param>
    internal static async Task<LoadedModel> LoadAsync(EngineSettings settings, ILogger logger, IProgress<float>? progress, bool flashAttention, CancellationToken cancellationToken)
    {
        NativeRuntime.Install(logger);
        CheckFile(settings.ModelPath);
        LLamaWeights weights;
        NativeRuntime.ResetProblem();
        try
        {
            weights = await LLamaWeights.LoadFromFileAsync(NativeParameters(settings), cancellationToken, progress).ConfigureAwait(false);
        }
        catch (LoadWeightsFailedException e)
        {
            var why = NativeRuntime.LastProblem is { } p ? $" ({p})" : "";
            throw new ModelLoadException($"Cannot load model '{settings.ModelPath}': llama.cpp refused the file{why}.", e);
        }
        try
        {
            if (weights.ContextSize > 0 && settings.ContextSize > weights.ContextSize)
            {
                // Past its training length a RoPE model's attention degrades; llama.cpp only warns, we stay inside.
                logger.LogInformation("Context size {Requested} exceeds the model's training context {Trained}; using {Trained}.", settings.ContextSize, weights.ContextSize, weights.ContextSize);
                settings = settings with { ContextSize = weights.ContextSize };
            }
            var (parameters, plan) = ContextParameters(weights, settings, logger);
            // A quantized V cache needs flash attention whatever was asked.
            parameters.FlashAttention = flashAttention || plan.Effective != KvCacheType.F16;
            return new LoadedModel(settings, weights, parameters, plan);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Tokenizes source text; special-token texts in user code stay plain text (no prompt injection).</summary>
    public LLamaToken[] Tokenize(string text) =>
        text.Length == 0 ? [] : Weights.NativeHandle.Tokenize(text, addBos: false, special: false, Encoding.UTF8);

    /// <summary>Turns tokens back into text, multi-byte characters joined across token boundaries.</summary>
    public string Detokenize(IReadOnlyList<int> tokens) =>
        Prompting.TokenText.Decode(this, tokens.Select(t => (LLamaToken)t).ToArray());

    /// <summary>
    /// Each token's text (null for control tokens and for pieces of a multi-byte character): what constrained
    /// decoding matches words against. Made once, on first use.
    /// </summary>
    internal IReadOnlyList<string?> Pieces => Texts.Pieces;

    private TokenTexts? _texts;

    /// <summary>What decoding reads from each token's bytes, in one walk over the vocabulary, on first use.</summary>
    private TokenTexts Texts => LazyInitializer.EnsureInitialized(ref _texts, () =>
    {
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var pieces = new string?[VocabularySize];
        var breaks = new bool[VocabularySize];
        Span<byte> buffer = stackalloc byte[256];
        for (var id = 0; id < pieces.Length; id++)
        {
            var length = Weights.NativeHandle.TokenToSpan((LLamaToken)id, buffer, 0, false);
            if (length is <= 0 or > 256) continue;
            var bytes = buffer[..(int)length];
            breaks[id] = bytes.Contains((byte)'\n');
            try
            {
                pieces[id] = strict.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                // Part of a multi-byte character: no word starts or continues with it alone.
            }
        }
        return new TokenTexts(pieces, breaks);
    });

    private sealed record TokenTexts(string?[] Pieces, bool[] LineBreaks);

    /// <summary>
    /// A word's tokens as the tokenizer writes it on its own (how a completion that starts with it is tokenized),
    /// remembered: the same names come back at every keystroke.
    /// </summary>
    internal int[] WordTokens(string word)
    {
        if (_words.TryGetValue(word, out var tokens)) return tokens;
        if (_words.Count > MostWordsRemembered) _words.Clear();
        return _words[word] = Array.ConvertAll(Tokenize(word), t => (int)t);
    }

    private const int MostWordsRemembered = 200_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _words = new(StringComparer.Ordinal);

    /// <summary>Counts the tokens of a text with the model's own tokenizer (what budgets are measured in).</summary>
    public int CountTokens(string text) => Tokenize(text).Length;

    /// <summary>The token id of a special marker, when the vocabulary has it.</summary>
    public int? SpecialToken(string text) => _specialTokens.TryGetValue(text, out var id) ? id : null;

    /// <summary>The vocabulary's control and user-defined tokens by text: how FIM families are recognised.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _specialTokens;

    /// <summary>Whether the token ends generation: the vocabulary's own EOS/EOT set or one of the family's stop markers.</summary>
    internal bool IsStop(LLamaToken token) => StopTokens.Contains((int)token) || token.IsEndOfGeneration(Vocab);

    /// <summary>The BOS token a prompt starts with, or null when this vocabulary does not want one.</summary>
    public int? Bos => Vocab.ShouldAddBOS && Vocab.BOS is { } bos ? (int)bos : null;

    /// <summary>The family's stop markers that exist in this vocabulary, as token ids.</summary>
    public IReadOnlySet<int> StopTokenIds => StopTokens;

    /// <summary>
    /// Whether the token's text holds a line break: in single-line mode the answer ends there, so a draft has no reason
    /// to propose past it.
    /// </summary>
    internal bool HasLineBreak(int token)
    {
        var breaks = Texts.LineBreaks;
        return (uint)token < (uint)breaks.Length && breaks[token];
    }

    public void Dispose()
    {
        if (_ownsWeights) Weights.Dispose();
    }

    /// <summary>
    /// A view of the same resident weights with other context settings (context size, KV type), for measuring
    /// contexts without loading the model again. The view does not own the weights.
    /// </summary>
    internal static LoadedModel WithContextSettings(LoadedModel model, EngineSettings settings, ILogger logger, bool flashAttention = true)
    {
        var (parameters, plan) = ContextParameters(model.Weights, settings, logger);
        parameters.FlashAttention = flashAttention;
        return new LoadedModel(settings, model.Weights, parameters, plan, ownsWeights: false);
    }

    /// <summary>Context parameters for these settings, with the KV cache type this model can take.</summary>
    private static (ModelParams, KvCachePlan) ContextParameters(LLamaWeights weights, EngineSettings settings, ILogger logger)
    {
        var (headK, headV) = HeadSizes(weights);
        var plan = KvCachePlan.For(settings.KvCache, headK, headV);
        if (plan.Warning is not null) logger.LogWarning("{Warning}", plan.Warning);
        var parameters = NativeParameters(settings);
        parameters.TypeK = plan.NativeType;
        parameters.TypeV = plan.NativeType;
        return (parameters, plan);
    }

    private LoadedModel(EngineSettings settings, LLamaWeights weights, ModelParams parameters, KvCachePlan kvPlan, bool ownsWeights)
        : this(settings, weights, parameters, kvPlan) => _ownsWeights = ownsWeights;

    private static ModelParams NativeParameters(EngineSettings settings) => new(settings.ModelPath)
    {
        ContextSize = (uint)settings.ContextSize,
        GpuLayerCount = settings.GpuLayers,
        BatchSize = (uint)settings.BatchSize,
        UBatchSize = (uint)settings.BatchSize,
        Threads = settings.EffectiveThreads,
        BatchThreads = settings.EffectiveBatchThreads,
        // Quantized V needs flash attention; it is also the faster path on CPU.
        FlashAttention = true,
    };

    private static void CheckFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ModelLoadException("No model configured: set the model path.");
        GgufHeader.Check(path);
    }

    /// <summary>
    /// Attention head sizes for K and V: the architecture's key/value length when the GGUF states it,
    /// else the embedding width divided by the head count (as llama.cpp derives it).
    /// </summary>
    private static (int K, int V) HeadSizes(LLamaWeights weights)
    {
        var meta = weights.Metadata;
        var arch = meta.TryGetValue("general.architecture", out var a) ? a : "llama";
        var fallback = weights.NativeHandle.HeadCount > 0 ? weights.EmbeddingSize / weights.NativeHandle.HeadCount : weights.EmbeddingSize;
        int Read(string key) => meta.TryGetValue($"{arch}.attention.{key}", out var v) && int.TryParse(v, out var n) ? n : fallback;
        return (Read("key_length"), Read("value_length"));
    }

    private static FrozenDictionary<string, int> IndexSpecialTokens(SafeLlamaModelHandle.Vocabulary vocab)
    {
        var byText = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(LLamaToken? token)
        {
            if (token is not { } t) return;
            var text = vocab.LLamaTokenToString(t, isSpecialToken: true);
            if (string.IsNullOrEmpty(text)) return;
            byText.TryAdd(text, (int)t);
            // Sentencepiece renders its word-boundary sign as a space; Code Llama's markers are spelled with it.
            if (text[0] == ' ') byText.TryAdd("▁" + text[1..], (int)t);
        }
        for (var id = 0; id < vocab.Count; id++)
        {
            var token = (LLamaToken)id;
            var attributes = token.GetAttributes(vocab);
            if ((attributes & (LLamaTokenAttr.Control | LLamaTokenAttr.UserDefined)) != 0)
                Add(token);
        }
        // llama.cpp also recognises FIM markers by metadata ids; honour those even when typed as plain tokens.
        Add(vocab.InfillPrefix); Add(vocab.InfillSuffix); Add(vocab.InfillMiddle);
        Add(vocab.InfillPad); Add(vocab.InfillRep); Add(vocab.InfillSep); Add(vocab.EOT); Add(vocab.EOS);
        return byText.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
