using System.Numerics.Tensors;

namespace Atlas.Engine.Decoding;

/// <summary>Greedy sampling: the highest logit wins (the lowest id on a tie), so output is reproducible.</summary>
internal static class Greedy
{
    public static int ArgMax(ReadOnlySpan<float> logits) => TensorPrimitives.IndexOfMax(logits);
}
