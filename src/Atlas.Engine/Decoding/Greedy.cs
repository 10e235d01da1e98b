using System.Numerics.Tensors;

namespace Atlas.Engine.Decoding;

/// <summary>A greedy choice and the runner-up it beat, with both logits: how close the decision was.</summary>
public readonly record struct GreedyChoice(int Token, float Logit, int RunnerUp, float RunnerUpLogit)
{
    /// <summary>How far the chosen logit is above the runner-up's (0 on an exact tie).</summary>
    public float Gap => Logit - RunnerUpLogit;
}

/// <summary>Greedy sampling: the highest logit wins (the lowest id on a tie), so output is reproducible.</summary>
internal static class Greedy
{
    /// <summary>Floats per chunk of the top-probability test: small enough for the stack, large enough to vectorize.</summary>
    private const int Chunk = 512;

    public static int ArgMax(ReadOnlySpan<float> logits) => TensorPrimitives.IndexOfMax(logits);

    /// <summary>The argmax and the best of the rest.</summary>
    public static GreedyChoice Choose(ReadOnlySpan<float> logits)
    {
        var best = TensorPrimitives.IndexOfMax(logits);
        var runnerUp = -1;
        if (best > 0) runnerUp = TensorPrimitives.IndexOfMax(logits[..best]);
        if (best + 1 < logits.Length)
        {
            var after = best + 1 + TensorPrimitives.IndexOfMax(logits[(best + 1)..]);
            if (runnerUp < 0 || logits[after] > logits[runnerUp]) runnerUp = after;
        }
        return runnerUp < 0
            ? new GreedyChoice(best, logits[best], best, float.NegativeInfinity)
            : new GreedyChoice(best, logits[best], runnerUp, logits[runnerUp]);
    }

    /// <summary>
    /// Whether softmax(logits)[top] ≥ <paramref name="minimum"/>, where top is the argmax. That holds exactly when
    /// Σ exp(l − l_top) ≤ 1 / minimum, so the sum stops as soon as it passes that bound: an unsure distribution is
    /// refused after a chunk or two, and no buffer of the vocabulary's size is needed.
    /// </summary>
    public static bool TopProbabilityAtLeast(ReadOnlySpan<float> logits, int top, float minimum)
    {
        if (minimum <= 0) return true;
        var bound = 1.0f / minimum;
        var max = logits[top];
        Span<float> shifted = stackalloc float[Chunk];
        var sum = 0f;
        for (var start = 0; start < logits.Length; start += Chunk)
        {
            var part = logits.Slice(start, Math.Min(Chunk, logits.Length - start));
            var buffer = shifted[..part.Length];
            TensorPrimitives.Subtract(part, max, buffer);
            TensorPrimitives.Exp(buffer, buffer);
            sum += TensorPrimitives.Sum(buffer);
            if (sum > bound) return false;
        }
        return true;
    }
}
