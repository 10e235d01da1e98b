using System.Runtime.CompilerServices;

namespace Atlas.TestModels;

/// <summary>
/// A counter-based pseudo-random generator: element i of a stream is a pure function of (stream key, i). That makes
/// weights reproducible forever (unlike System.Random, whose algorithm is not a contract), lets a tensor be filled
/// in parallel chunks in any order, and lets a draft's noise line up element by element with its target's weights.
/// The mixing function is SplitMix64's finalizer.
/// </summary>
internal static class CounterRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    // Sum of four uniform 16-bit integers: mean 4 * 65535 / 2, standard deviation 65536 / sqrt(3).
    private const float SumMean = 2 * 65535f;
    private const float InverseSumStdDev = 1.7320508f / 65536f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A stream key for one tensor under one seed; <paramref name="purpose"/> keeps weights and noise apart even when their seeds are equal.</summary>
    public static ulong StreamKey(long seed, string purpose, string tensorName) =>
        Mix(Mix((ulong)seed ^ Fnv1a(purpose)) ^ Fnv1a(tensorName));

    /// <summary>
    /// An approximately standard-normal value (Irwin–Hall of four uniforms: mean 0, variance 1, bounded by ±3.46),
    /// which is all random weights need, at the cost of one hash.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Normal(ulong key, long index)
    {
        var h = Mix(key + (ulong)index * Golden);
        var sum = (float)((h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48));
        return (sum - SumMean) * InverseSumStdDev;
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 0x100000001B3UL;
        }
        return hash;
    }
}
