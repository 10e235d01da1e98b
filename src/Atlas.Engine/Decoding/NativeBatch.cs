using System.Reflection;
using LLama.Native;

namespace Atlas.Engine.Decoding;

/// <summary>
/// A token batch in native memory, allocated once by llama.cpp (llama_batch_init) and handed to llama_decode as it
/// is, for sequence 0. LLamaSharp's own batch pins each of its per-token sequence-id arrays on every call, as many as
/// the batch has ever held (512 after one prompt): tens of microseconds per call, a tenth of a small draft model's
/// whole forward pass (bench decode, column "marshal").
/// </summary>
internal sealed unsafe class NativeBatch : IDisposable
{
    private static readonly Func<SafeLLamaContextHandle, LLamaNativeBatch, int> NativeDecode = BindDecode();

    private LLamaNativeBatch _batch;
    private bool _disposed;

    public NativeBatch(int capacity)
    {
        Capacity = capacity;
        _batch = NativeApi.llama_batch_init(capacity, 0, 1);
    }

    /// <summary>Most tokens one call can take.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Decodes <paramref name="tokens"/> at consecutive positions from <paramref name="position"/> in sequence 0, with
    /// logits for every token, or only for the last one.
    /// </summary>
    public DecodeResult Decode(SafeLLamaContextHandle context, ReadOnlySpan<int> tokens, int position, bool logitsForAll)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.Length == 0 || tokens.Length > Capacity) throw new ArgumentException($"A batch takes 1 to {Capacity} tokens, not {tokens.Length}.", nameof(tokens));
        for (var i = 0; i < tokens.Length; i++)
        {
            _batch.tokens[i] = (LLamaToken)tokens[i];
            _batch.pos[i] = (LLamaPos)(position + i);
            _batch.n_seq_id[i] = 1;
            _batch.seq_id[i][0] = (LLamaSeqId)0;
            _batch.logits[i] = (byte)(logitsForAll || i == tokens.Length - 1 ? 1 : 0);
        }
        _batch.n_tokens = tokens.Length;
        return (DecodeResult)NativeDecode(context, _batch);
    }

    /// <summary>
    /// LLamaSharp 0.30 keeps its llama_decode declaration private behind the pinning wrapper; it is bound once here.
    /// The package version is pinned (Directory.Packages.props), and every engine test fails loudly if it moves.
    /// </summary>
    private static Func<SafeLLamaContextHandle, LLamaNativeBatch, int> BindDecode()
    {
        var method = typeof(SafeLLamaContextHandle).GetMethod("llama_decode", BindingFlags.NonPublic | BindingFlags.Static, [typeof(SafeLLamaContextHandle), typeof(LLamaNativeBatch)])
            ?? throw new MissingMethodException("LLamaSharp no longer declares SafeLLamaContextHandle.llama_decode(ctx, batch).");
        return method.CreateDelegate<Func<SafeLLamaContextHandle, LLamaNativeBatch, int>>();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeApi.llama_batch_free(_batch);
    }
}
