using System.Buffers;
using System.Numerics.Tensors;

namespace Atlas.Engine.Decoding;

/// <summary>
/// Picks the next token from logits. Greedy (temperature 0) for completions, so answers are reproducible and
/// speculative decoding can match them exactly; seeded top-k sampling at a temperature when a caller wants
/// several different candidates (the fix-this action tries more than one rewrite).
/// </summary>
internal sealed class TokenSampler : ITokenChooser
{
    /// <summary>How many of the most likely tokens sampling chooses among.</summary>
    public const int TopK = 40;

    private readonly float _temperature;
    private readonly Random? _random;

    public TokenSampler(float temperature, int seed)
    {
        _temperature = temperature;
        _random = temperature > 0 ? new Random(seed) : null;
    }

    public bool IsGreedy => _random is null;

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_random is null) return Greedy.ArgMax(logits);

        var k = Math.Min(TopK, logits.Length);
        var ids = ArrayPool<int>.Shared.Rent(k);
        var weights = ArrayPool<float>.Shared.Rent(k);
        try
        {
            // Top-k by repeated selection: k is small, the vocabulary large.
            var count = 0;
            for (var i = 0; i < logits.Length; i++)
            {
                var value = logits[i];
                if (count < k) { ids[count] = i; weights[count++] = value; continue; }
                var lowest = TensorPrimitives.IndexOfMin(weights.AsSpan(0, k));
                if (value > weights[lowest]) { ids[lowest] = i; weights[lowest] = value; }
            }
            var top = weights.AsSpan(0, count);
            var max = TensorPrimitives.Max(top);
            TensorPrimitives.Subtract(top, max, top);
            TensorPrimitives.Divide(top, _temperature, top);
            TensorPrimitives.Exp(top, top);
            var pick = _random.NextSingle() * TensorPrimitives.Sum(top);
            for (var i = 0; i < count; i++)
            {
                pick -= top[i];
                if (pick <= 0) return ids[i];
            }
            return ids[count - 1];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(weights);
        }
    }
}
