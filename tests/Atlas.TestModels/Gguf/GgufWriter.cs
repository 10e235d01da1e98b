using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Atlas.TestModels.Gguf;

/// <summary>
/// Fills <paramref name="destination"/> with a tensor's elements starting at element <paramref name="firstElement"/>
/// (flat index in ggml order). The writer calls it concurrently for disjoint ranges, in no particular order, so it
/// must compute each element from its index alone.
/// </summary>
public delegate void TensorFill(long firstElement, Span<float> destination);

/// <summary>
/// Writes a GGUF v3 file: metadata, the tensor table, then each tensor's data at an aligned offset. Tensor data is
/// produced on the fly by a <see cref="TensorFill"/> in fixed-size chunks, so a model of hundreds of megabytes is
/// written without holding it in memory and without per-element allocations.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>Elements generated per chunk: large enough to amortize the parallel fan-out, small enough for the cache.</summary>
    private const int ChunkElements = 1 << 18;

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <param name="alignment">Tensor data alignment; written as general.alignment so readers agree with it.</param>
    public GgufWriter(uint alignment = GgufFormat.DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Alignment must be a power of two.");
        Alignment = alignment;
    }

    public uint Alignment { get; }

    public void AddMetadata(string key, GgufValue value)
    {
        if (key == GgufFormat.AlignmentKey)
            throw new ArgumentException($"Set {GgufFormat.AlignmentKey} through the constructor, so data and header agree.", nameof(key));
        if (!_keys.Add(key))
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        _metadata.Add(new(key, value));
    }

    /// <param name="shape">ggml order: shape[0] is the contiguous (input) dimension; 1 to 4 dimensions.</param>
    public void AddTensor(string name, GgmlType type, IReadOnlyList<ulong> shape, TensorFill fill)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0))
            throw new ArgumentException($"Only F32, F16 and Q8_0 tensors can be written, not {type}.", nameof(type));
        if (shape.Count is < 1 or > 4 || shape.Any(n => n == 0))
            throw new ArgumentException($"Tensor '{name}' needs 1 to 4 non-zero dimensions.", nameof(shape));
        if (shape[0] % (ulong)BlockLayout(type).Elements != 0)
            throw new ArgumentException($"Tensor '{name}' of type {type} needs rows that are a multiple of {BlockLayout(type).Elements}.", nameof(shape));
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        _tensors.Add(new PendingTensor(name, type, [.. shape], fill));
    }

    /// <summary>Writes to a new file (overwriting), through a large buffer.</summary>
    public void Write(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        Write(file);
    }

    public void Write(Stream stream)
    {
        using var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        long written = 0;

        output.Write(GgufFormat.Magic);
        output.Write(GgufFormat.Version);
        output.Write((ulong)_tensors.Count);
        output.Write((ulong)_metadata.Count + 1);
        written += 24;

        written += WriteString(output, GgufFormat.AlignmentKey);
        output.Write((uint)GgufValueType.UInt32);
        output.Write(Alignment);
        written += 8;

        foreach (var (key, value) in _metadata)
        {
            written += WriteString(output, key);
            output.Write((uint)value.Type);
            written += 4 + WriteValue(output, value);
        }

        ulong offset = 0;
        foreach (var tensor in _tensors)
        {
            written += WriteString(output, tensor.Name);
            output.Write((uint)tensor.Shape.Length);
            foreach (var n in tensor.Shape) output.Write(n);
            output.Write((uint)tensor.Type);
            output.Write(offset);
            written += 4 + 8L * tensor.Shape.Length + 4 + 8;
            offset = GgufFormat.AlignUp(offset + tensor.ByteCount, Alignment);
        }

        WritePadding(output, ref written);
        output.Flush();
        WriteTensorData(stream);
        stream.Flush();
    }

    private void WriteTensorData(Stream stream)
    {
        var floats = ArrayPool<float>.Shared.Rent(ChunkElements);
        var bytes = ArrayPool<byte>.Shared.Rent(ChunkElements * sizeof(float));
        try
        {
            var slices = Math.Max(1, Environment.ProcessorCount);
            foreach (var tensor in _tensors)
            {
                var total = (long)tensor.ElementCount;
                var (blockElements, blockBytes) = BlockLayout(tensor.Type);
                for (long first = 0; first < total; first += ChunkElements)
                {
                    var count = (int)Math.Min(ChunkElements, total - first);
                    // Slices hold whole quantization blocks.
                    var sliceLength = ((count + slices - 1) / slices + blockElements - 1) / blockElements * blockElements;
                    var chunkStart = first;
                    // Generation dominates the cost; the slices of one chunk fill in parallel, then it is written in order.
                    Parallel.For(0, slices, s =>
                    {
                        var start = s * sliceLength;
                        var length = Math.Min(sliceLength, count - start);
                        if (length <= 0) return;
                        var values = floats.AsSpan(start, length);
                        tensor.Fill(chunkStart + start, values);
                        Encode(tensor.Type, values, bytes.AsSpan(start / blockElements * blockBytes, length / blockElements * blockBytes));
                    });
                    stream.Write(bytes, 0, count / blockElements * blockBytes);
                }
                var padding = (int)(GgufFormat.AlignUp(tensor.ByteCount, Alignment) - tensor.ByteCount);
                if (padding > 0) stream.Write(new byte[padding]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>How many elements a storage block holds and how many bytes it takes (1 element for the float types).</summary>
    internal static (int Elements, int Bytes) BlockLayout(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 => (1, 2),
        // q8_0: a half-precision scale, then 32 signed bytes.
        GgmlType.Q8_0 => (32, 34),
        _ => throw new ArgumentException($"No writer for {type}."),
    };

    private static void Encode(GgmlType type, ReadOnlySpan<float> values, Span<byte> destination)
    {
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.AsBytes(values).CopyTo(destination);
                return;
            case GgmlType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (var i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
                return;
            default:
                EncodeQ8_0(values, destination);
                return;
        }
    }

    /// <summary>ggml's q8_0: per block of 32, d = max|x| / 127 and q = round(x / d), as quantize_row_q8_0_ref does.</summary>
    private static void EncodeQ8_0(ReadOnlySpan<float> values, Span<byte> destination)
    {
        for (int block = 0, b = 0; block < values.Length; block += 32, b += 34)
        {
            var x = values.Slice(block, 32);
            var amax = 0f;
            foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
            var d = amax / 127f;
            var inverse = d != 0 ? 1f / d : 0f;
            MemoryMarshal.Write(destination.Slice(b, 2), (Half)d);
            for (var i = 0; i < 32; i++)
                destination[b + 2 + i] = (byte)(sbyte)MathF.Round(x[i] * inverse);
        }
    }

    private void WritePadding(BinaryWriter output, ref long written)
    {
        var aligned = (long)GgufFormat.AlignUp((ulong)written, Alignment);
        for (; written < aligned; written++) output.Write((byte)0);
    }

    private static long WriteString(BinaryWriter output, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        output.Write((ulong)length);
        Span<byte> small = stackalloc byte[256];
        var bytes = length <= small.Length ? small[..length] : new byte[length];
        Encoding.UTF8.GetBytes(text, bytes);
        output.Write(bytes);
        return 8 + length;
    }

    /// <summary>Writes a value's payload (not its type tag) and returns the bytes written.</summary>
    private static long WriteValue(BinaryWriter output, GgufValue value)
    {
        switch (value.Value)
        {
            case byte v: output.Write(v); return 1;
            case sbyte v: output.Write(v); return 1;
            case ushort v: output.Write(v); return 2;
            case short v: output.Write(v); return 2;
            case uint v: output.Write(v); return 4;
            case int v: output.Write(v); return 4;
            case float v: output.Write(v); return 4;
            case bool v: output.Write(v ? (byte)1 : (byte)0); return 1;
            case string v: return WriteString(output, v);
            case ulong v: output.Write(v); return 8;
            case long v: output.Write(v); return 8;
            case double v: output.Write(v); return 8;
            case Array items: return WriteArray(output, value.ElementType, items);
            default: throw new InvalidOperationException($"Cannot write a {value.Value.GetType().Name} as GGUF.");
        }
    }

    private static long WriteArray(BinaryWriter output, GgufValueType elementType, Array items)
    {
        output.Write((uint)elementType);
        output.Write((ulong)items.Length);
        long written = 12;
        switch (items)
        {
            case string[] strings:
                foreach (var s in strings) written += WriteString(output, s);
                break;
            case bool[] bools:
                foreach (var b in bools) output.Write(b ? (byte)1 : (byte)0);
                written += bools.Length;
                break;
            case GgufValue[] arrays:
                // Each element is an array's body (element type, count, items) with no tag of its own.
                foreach (var a in arrays) written += WriteArray(output, a.ElementType, (Array)a.Value);
                break;
            default:
                // Fixed-size scalars: the array's memory is already the little-endian file layout.
                var size = GgufValue.ScalarSize(elementType);
                var raw = MemoryMarshal.CreateReadOnlySpan(
                    ref MemoryMarshal.GetArrayDataReference(items), items.Length * size);
                output.Write(raw);
                written += raw.Length;
                break;
        }
        return written;
    }

    private sealed record PendingTensor(string Name, GgmlType Type, ulong[] Shape, TensorFill Fill)
    {
        public ulong ElementCount => Shape.Aggregate(1UL, (a, n) => a * n);

        public ulong ByteCount => ElementCount / (ulong)BlockLayout(Type).Elements * (ulong)BlockLayout(Type).Bytes;
    }
}
