using System.Diagnostics;
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
    private readonly NativeBatch _batch;
    private readonly List<int> _cached = [];
    private readonly int _batchSize;
    private int _lastBatchStart;
    private int _lastBatchCount;

    public KvCacheSession(LoadedModel model, ILogger logger)
    {
        // What llama.cpp logs while creating this context is read back from process-wide observations, so contexts are
        // created one at a time (engines load in parallel in tests, and a target loads its draft's context too).
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
        _batch = new NativeBatch(_batchSize);
        VocabularySize = model.VocabularySize;
    }

    /// <summary>Sets the CPU threads llama.cpp uses for single-token steps and for batches (prompts, verifications) from the next decode on.</summary>
    public void UseThreads(int generation, int batch)
    {
        if (_context.NativeHandle.GenerationThreads != generation) _context.NativeHandle.GenerationThreads = generation;
        if (_context.NativeHandle.BatchThreads != batch) _context.NativeHandle.BatchThreads = batch;
    }

    /// <summary>The KV cache size llama.cpp allocated for this context, when it reported one.</summary>
    public long? KvCacheBytes { get; }

    public int ContextSize => (int)_context.ContextSize;
    public int VocabularySize { get; }

    /// <summary>Most tokens one decode call takes.</summary>
    public int BatchSize => _batchSize;

    /// <summary>The tokens whose keys and values are in the cache, in position order.</summary>
    public IReadOnlyList<int> Cached => _cached;

    /// <summary>Tokens in the last decode call (1 for a single-token step).</summary>
    public int LastBatchCount => _lastBatchCount;

    /// <summary>Wall time of the last decode call, in Stopwatch ticks: what speculative decoding weighs its costs by.</summary>
    public long LastDecodeTicks { get; private set; }

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

        var chunk = new int[Math.Min(_batchSize, prompt.Count - common)];
        for (var start = common; start < prompt.Count; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(prompt.Count, start + _batchSize);
            for (var i = start; i < end; i++) chunk[i - start] = prompt[i];
            Decode(chunk.AsSpan(0, end - start), logitsForAll: false);
        }
        return (common, prompt.Count - common);
    }

    /// <summary>Appends tokens at the end of the cache, with logits for every one of them (one forward pass).</summary>
    public void Append(ReadOnlySpan<int> tokens)
    {
        if (_cached.Count + tokens.Length > ContextSize) throw new InvalidOperationException("The context is full.");
        Decode(tokens, logitsForAll: true);
    }

    /// <summary>Appends one token and computes the logits that follow it.</summary>
    public void Append(int token) => Append([token]);

    /// <summary>
    /// Logits after the i-th token of the last decoded batch (default: its last token), only valid until the next decode.
    /// A prefill batch has logits for its last token only.
    /// </summary>
    public ReadOnlySpan<float> Logits(int indexInLastBatch = -1)
    {
        var index = indexInLastBatch < 0 ? _lastBatchCount - 1 : indexInLastBatch;
        return _context.NativeHandle.GetLogitsIth(index)[..VocabularySize];
    }

    /// <summary>
    /// The greedy token after the <paramref name="row"/>-th token of the last batch (default: its last). A batch of
    /// several tokens runs other matrix kernels than a single token does (llama.cpp's CPU backend uses llamafile's sgemm
    /// from two rows on), so its logits differ from a single-token step's in the last bits, and a near-tie can flip.
    /// When the top two are within <paramref name="tieMargin"/>, the decision is made again the way decoding one token
    /// at a time makes it: the cache is cut back to end just before that row's token, which is decoded alone. Afterwards
    /// the cache ends with that row's token (any later tokens of the batch are gone).
    /// </summary>
    public (GreedyChoice Choice, bool Redecided) ChooseGreedy(int row, float tieMargin)
    {
        if (row < 0) row = _lastBatchCount - 1;
        var choice = Greedy.Choose(Logits(row));
        if (_lastBatchCount == 1 || choice.Gap >= tieMargin) return (choice, false);
        var position = _lastBatchStart + row;
        var token = _cached[position];
        Truncate(position);
        Append(token);
        return (Greedy.Choose(Logits(0)), true);
    }

    /// <summary>Keeps the first <paramref name="length"/> cached tokens and drops the rest from the KV cache.</summary>
    public void Truncate(int length)
    {
        if (length >= _cached.Count) return;
        _context.NativeHandle.MemorySequenceRemove(Sequence, (LLamaPos)length, (LLamaPos)(-1));
        _cached.RemoveRange(length, _cached.Count - length);
        _lastBatchCount = Math.Min(_lastBatchCount, Math.Max(0, length - _lastBatchStart));
    }

    /// <summary>Forgets everything cached.</summary>
    public void Clear()
    {
        _context.NativeHandle.MemoryClear(data: false);
        _cached.Clear();
        _lastBatchCount = 0;
    }

    private void Decode(ReadOnlySpan<int> tokens, bool logitsForAll)
    {
        var start = _cached.Count;
        var began = Stopwatch.GetTimestamp();
        var result = _batch.Decode(_context.NativeHandle, tokens, start, logitsForAll);
        LastDecodeTicks = Stopwatch.GetTimestamp() - began;
        if (result != DecodeResult.Ok)
        {
            // The cache may now hold part of the batch: start over rather than trust it.
            Clear();
            throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
        }
        foreach (var t in tokens) _cached.Add(t);
        _lastBatchStart = start;
        _lastBatchCount = tokens.Length;
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
    }
}
