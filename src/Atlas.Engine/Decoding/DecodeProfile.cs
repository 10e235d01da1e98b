using System.Diagnostics;
using System.Numerics.Tensors;
using Atlas.Engine.Loading;
using LLama;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Atlas.Engine.Decoding;

/// <summary>How a context is created for one profile: threads, flash attention, KV cache type.</summary>
public sealed record DecodeVariant(int Threads, bool FlashAttention, KvCacheType KvCache)
{
    public override string ToString() => $"{Threads} thread{(Threads == 1 ? "" : "s")}, FA {(FlashAttention ? "on" : "off")}, KV {KvCachePlan.Name(KvCache)}";
}

/// <summary>
/// Where the time of one decode call goes, in microseconds (medians): filling the batch in C#, LLamaSharp's
/// marshalling of the batch, llama_decode itself (graph reused), what building llama.cpp's graph again adds when the
/// batch size changed since the last call, reading the logits, greedy argmax, the draft's old full softmax and its
/// bounded probability test; and the whole call for batches of several tokens, which is what verifying a draft costs.
/// </summary>
public sealed record DecodeFigures(
    DecodeVariant Variant,
    double SetupUs,
    double MarshalUs,
    double NativeDecodeUs,
    double GraphUs,
    double LogitsUs,
    double ArgMaxUs,
    double SoftmaxUs,
    double TopTestUs,
    IReadOnlyList<(int Tokens, double Us)> Batches);

/// <summary>
/// Decode calls on one model in one context variant at a warm KV cache, timed by phase, so a benchmark can show which
/// part of a call is llama.cpp's and which is Atlas's. Several probes are meant to take turns (<see cref="Sample"/>
/// one round each), so a busy machine weighs on all of them alike. Owns its context and batches.
/// </summary>
public sealed class DecodeProbe : IDisposable
{
    private static readonly LLamaSeqId Sequence = (LLamaSeqId)0;

    private readonly LoadedModel _view;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private readonly NativeBatch _raw = new(64);
    private readonly int _length;
    private readonly int _token;
    private readonly int _vocabulary;
    private readonly IReadOnlyList<int> _batchSizes;
    private readonly List<double> _setup = [], _whole = [], _native = [], _rebuilt = [], _logits = [], _argMax = [], _softmax = [], _topTest = [];
    private readonly List<double>[] _batches;

    public DecodeProbe(LoadedModel model, IReadOnlyList<int> prompt, DecodeVariant variant, IReadOnlyList<int> batchSizes, ILogger logger)
    {
        Variant = variant;
        _batchSizes = batchSizes;
        _batches = batchSizes.Select(_ => new List<double>()).ToArray();
        _vocabulary = model.VocabularySize;
        _view = LoadedModel.WithContextSettings(model, model.Settings with { KvCache = variant.KvCache, Threads = variant.Threads }, logger, variant.FlashAttention);
        _context = _view.Weights.CreateContext(_view.Parameters, logger);
        if (_context.NativeHandle.IsInvalid) throw new ModelLoadException($"llama.cpp could not create a context ({variant}): {NativeRuntime.LastProblem ?? "no reason given"}.");

        // The prompt at its real positions, so attention runs over a cache as long as a request's.
        _length = Math.Min(prompt.Count, (int)_context.ContextSize - 64);
        for (var start = 0; start < _length; start += (int)_context.BatchSize)
        {
            _batch.Clear();
            var end = Math.Min(_length, start + (int)_context.BatchSize);
            for (var i = start; i < end; i++) _batch.Add((LLamaToken)prompt[i], (LLamaPos)i, Sequence, logits: i == _length - 1);
            Check(_context.NativeHandle.Decode(_batch));
        }
        _token = prompt[_length - 1];
        // Warm-up: the first graphs and allocations.
        for (var i = 0; i < 3; i++) Sample(record: false);
    }

    public DecodeVariant Variant { get; }

    /// <summary>One round: a single-token step by phases, the same call without LLamaSharp's marshalling, each batch size once.</summary>
    public void Sample() => Sample(record: true);

    private void Sample(bool record)
    {
        var handle = _context.NativeHandle;
        Span<int> one = [_token];
        // The previous round ended on the largest batch, so this call cannot reuse llama.cpp's graph: it is built again,
        // as it is whenever consecutive calls differ in size (a draft's verification after single steps).
        var r0 = Stopwatch.GetTimestamp();
        Check(_raw.Decode(handle, one, _length, logitsForAll: true));
        var r1 = Stopwatch.GetTimestamp();
        handle.MemorySequenceRemove(Sequence, (LLamaPos)_length, (LLamaPos)(-1));
        // The same call again, graph reused: llama_decode's steady cost, handed a native batch.
        var n0 = Stopwatch.GetTimestamp();
        Check(_raw.Decode(handle, one, _length, logitsForAll: true));
        var n1 = Stopwatch.GetTimestamp();
        handle.MemorySequenceRemove(Sequence, (LLamaPos)_length, (LLamaPos)(-1));
        // Through LLamaSharp's batch, as Atlas used to: the difference is its marshalling.
        var t0 = Stopwatch.GetTimestamp();
        _batch.Clear();
        _batch.Add((LLamaToken)_token, (LLamaPos)_length, Sequence, logits: true);
        var t1 = Stopwatch.GetTimestamp();
        Check(handle.Decode(_batch));
        var t2 = Stopwatch.GetTimestamp();
        var logits = handle.GetLogitsIth(0)[.._vocabulary];
        var t3 = Stopwatch.GetTimestamp();
        var best = Greedy.ArgMax(logits);
        var t4 = Stopwatch.GetTimestamp();
        var p = SoftmaxProbability(logits, best);
        var t5 = Stopwatch.GetTimestamp();
        var confident = Greedy.TopProbabilityAtLeast(logits, best, 0.75f);
        var t6 = Stopwatch.GetTimestamp();
        handle.MemorySequenceRemove(Sequence, (LLamaPos)_length, (LLamaPos)(-1));
        GC.KeepAlive(p);
        GC.KeepAlive(confident);
        if (record)
        {
            _setup.Add(Us(t0, t1));
            _whole.Add(Us(t1, t2));
            _native.Add(Us(n0, n1));
            _rebuilt.Add(Us(r0, r1));
            _logits.Add(Us(t2, t3));
            _argMax.Add(Us(t3, t4));
            _softmax.Add(Us(t4, t5));
            _topTest.Add(Us(t5, t6));
        }

        Span<int> tokens = stackalloc int[_raw.Capacity];
        tokens.Fill(_token);
        for (var b = 0; b < _batchSizes.Count; b++)
        {
            var size = _batchSizes[b];
            var s0 = Stopwatch.GetTimestamp();
            Check(_raw.Decode(handle, tokens[..size], _length, logitsForAll: true));
            _ = Greedy.ArgMax(handle.GetLogitsIth(size - 1)[.._vocabulary]);
            var s1 = Stopwatch.GetTimestamp();
            handle.MemorySequenceRemove(Sequence, (LLamaPos)_length, (LLamaPos)(-1));
            if (record) _batches[b].Add(Us(s0, s1));
        }
    }

    public DecodeFigures Figures()
    {
        var native = Median(_native);
        return new DecodeFigures(Variant, Median(_setup), Math.Max(0, Median(_whole) - native), native, Math.Max(0, Median(_rebuilt) - native), Median(_logits), Median(_argMax), Median(_softmax), Median(_topTest),
            _batchSizes.Select((size, b) => (size, Median(_batches[b]))).ToList());
    }

    /// <summary>The softmax probability of one token as the draft used to compute it: exp over the whole vocabulary into a buffer.</summary>
    private static float SoftmaxProbability(ReadOnlySpan<float> logits, int token)
    {
        var max = TensorPrimitives.Max(logits);
        var shifted = new float[logits.Length];
        TensorPrimitives.Subtract(logits, max, shifted);
        TensorPrimitives.Exp(shifted, shifted);
        return MathF.Exp(logits[token] - max) / TensorPrimitives.Sum(shifted);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
    }

    private static double Us(long from, long to) => (to - from) * 1_000_000.0 / Stopwatch.Frequency;

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    public void Dispose()
    {
        _raw.Dispose();
        _context.Dispose();
        _view.Dispose();
    }
}
