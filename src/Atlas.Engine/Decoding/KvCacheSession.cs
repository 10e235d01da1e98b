using Atlas.Engine.Loading;
using LLama;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Atlas.Engine.Decoding;

/// <summary>
/// One llama.cpp context and the exact token sequence its KV cache holds (sequence 0). Knowing that sequence is
/// what makes prompt-cache reuse possible: a new prompt only decodes what follows the longest common prefix, and
/// the stale tail is removed from the cache first. Owns the native context and batch; not thread-safe (the engine
/// serializes callers).
/// </summary>
internal sealed class KvCacheSession : IDisposable
{
    private static readonly LLamaSeqId Sequence = (LLamaSeqId)0;

    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private readonly List<int> _cached = [];
    private readonly int _batchSize;
    private int _lastBatchCount;

    public KvCacheSession(LoadedModel model, ILogger logger)
    {
        lock (NativeRuntime.Creation)
        {
            NativeRuntime.ResetObservations();
            _context = model.Weights.CreateContext(model.Parameters, logger);
            if (_context.NativeHandle.IsInvalid)
            {
                _context.Dispose();
                throw new ModelLoadException($"llama.cpp could not create a context for '{model.Settings.ModelPath}': {NativeRuntime.LastProblem ?? "no reason given"}.");
            }
            KvCacheBytes = NativeRuntime.LastKvCacheBytes;
        }
        _batchSize = (int)Math.Max(1, _context.BatchSize);
        VocabularySize = model.VocabularySize;
    }

    /// <summary>The KV cache size llama.cpp allocated for this context, when it reported one.</summary>
    public long? KvCacheBytes { get; }

    public int ContextSize => (int)_context.ContextSize;
    public int VocabularySize { get; }

    /// <summary>The tokens whose keys and values are in the cache, in position order.</summary>
    public IReadOnlyList<int> Cached => _cached;

    /// <summary>
    /// Brings the cache to hold exactly <paramref name="prompt"/>, decoding only what differs after the longest common
    /// prefix with what is cached. The last prompt token is always decoded, so its logits are ready afterwards.
    /// Checks for cancellation between batches; after a cancellation the cache holds a valid prefix of the prompt.
    /// </summary>
    public (int Reused, int Evaluated) Prefill(IReadOnlyList<int> prompt, CancellationToken cancellationToken)
    {
        if (prompt.Count == 0) throw new ArgumentException("A prompt needs at least one token.", nameof(prompt));
        if (prompt.Count > ContextSize) throw new ArgumentException($"The prompt has {prompt.Count} tokens; the context holds {ContextSize}.", nameof(prompt));

        var common = 0;
        var limit = Math.Min(prompt.Count, _cached.Count);
        while (common < limit && _cached[common] == prompt[common]) common++;
        // The next token is predicted from the last prompt token's logits, so that token is always decoded again.
        if (common == prompt.Count) common--;
        Truncate(common);

        for (var start = common; start < prompt.Count; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(prompt.Count, start + _batchSize);
            _batch.Clear();
            for (var i = start; i < end; i++)
                _batch.Add((LLamaToken)prompt[i], (LLamaPos)i, Sequence, logits: i == prompt.Count - 1);
            Decode();
            for (var i = start; i < end; i++) _cached.Add(prompt[i]);
        }
        return (common, prompt.Count - common);
    }

    /// <summary>Appends tokens at the end of the cache, with logits for every one of them (one forward pass).</summary>
    public void Append(ReadOnlySpan<int> tokens)
    {
        if (_cached.Count + tokens.Length > ContextSize) throw new InvalidOperationException("The context is full.");
        _batch.Clear();
        for (var i = 0; i < tokens.Length; i++)
            _batch.Add((LLamaToken)tokens[i], (LLamaPos)(_cached.Count + i), Sequence, logits: true);
        Decode();
        foreach (var t in tokens) _cached.Add(t);
    }

    /// <summary>Appends one token and computes the logits that follow it.</summary>
    public void Append(int token) => Append([token]);

    /// <summary>
    /// Logits after the i-th token of the last decoded batch (default: its last token), only valid until the next decode.
    /// </summary>
    public ReadOnlySpan<float> Logits(int indexInLastBatch = -1)
    {
        var index = indexInLastBatch < 0 ? _lastBatchCount - 1 : indexInLastBatch;
        return _context.NativeHandle.GetLogitsIth(index)[..VocabularySize];
    }

    /// <summary>Keeps the first <paramref name="length"/> cached tokens and drops the rest from the KV cache.</summary>
    public void Truncate(int length)
    {
        if (length >= _cached.Count) return;
        _context.NativeHandle.MemorySequenceRemove(Sequence, (LLamaPos)length, (LLamaPos)(-1));
        _cached.RemoveRange(length, _cached.Count - length);
    }

    /// <summary>Forgets everything cached.</summary>
    public void Clear()
    {
        _context.NativeHandle.MemoryClear(data: false);
        _cached.Clear();
    }

    private void Decode()
    {
        var result = _context.NativeHandle.Decode(_batch);
        _lastBatchCount = _batch.TokenCount;
        if (result != DecodeResult.Ok)
        {
            // The cache may now hold part of the batch: start over rather than trust it.
            Clear();
            throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
        }
    }

    public void Dispose() => _context.Dispose();
}
