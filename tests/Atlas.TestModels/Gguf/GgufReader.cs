using System.Runtime.InteropServices;
using System.Text;

namespace Atlas.TestModels.Gguf;

/// <summary>
/// Reads a GGUF v2/v3 file's header, metadata and tensor table (not the tensor data: a donor model only lends
/// its tokenizer). Little-endian files only; a big-endian or v1 file is refused with a clear message rather than
/// misread. Counts and lengths are checked against the file's size, so a truncated or foreign file fails fast
/// instead of asking for gigabytes.
/// </summary>
public static class GgufReader
{
    public static GgufFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return Read(stream);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"GGUF file '{path}' ends before its header does.", e);
        }
    }

    /// <summary>Reads from the stream's current position; the stream must be seekable (for length checks).</summary>
    public static GgufFile Read(Stream stream)
    {
        var start = stream.Position;
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);

        var magic = reader.ReadUInt32();
        if (magic != GgufFormat.Magic)
            throw new InvalidDataException("Not a GGUF file (bad magic).");

        var version = reader.ReadUInt32();
        if (version is not (2 or 3))
        {
            // A big-endian file's version reads byte-swapped, e.g. 3 becomes 0x03000000.
            var hint = (version & 0xFFFF) == 0 && version != 0 ? " (the file looks big-endian, which is not supported)" : "";
            throw new InvalidDataException($"Unsupported GGUF version {version}{hint}; only v2 and v3 are read.");
        }

        var tensorCount = ReadCount(reader, minBytesEach: 8);
        var kvCount = ReadCount(reader, minBytesEach: 12);

        var metadata = new List<KeyValuePair<string, GgufValue>>(kvCount);
        for (var i = 0; i < kvCount; i++)
        {
            var key = ReadString(reader);
            var type = (GgufValueType)reader.ReadUInt32();
            metadata.Add(new(key, ReadValue(reader, type)));
        }

        var alignment = GgufFormat.DefaultAlignment;
        foreach (var (key, value) in metadata)
        {
            if (key == GgufFormat.AlignmentKey)
                alignment = value.AsUInt32();
        }
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new InvalidDataException($"GGUF alignment {alignment} is not a power of two.");

        var tensors = new List<GgufTensorInfo>(tensorCount);
        for (var i = 0; i < tensorCount; i++)
        {
            var name = ReadString(reader);
            var dims = reader.ReadUInt32();
            if (dims > 8)
                throw new InvalidDataException($"GGUF tensor '{name}' claims {dims} dimensions.");
            var shape = new ulong[dims];
            for (var d = 0; d < dims; d++) shape[d] = reader.ReadUInt64();
            var type = (GgmlType)reader.ReadUInt32();
            var offset = reader.ReadUInt64();
            tensors.Add(new GgufTensorInfo(name, shape, type, offset));
        }

        var dataOffset = (long)GgufFormat.AlignUp((ulong)(stream.Position - start), alignment) + start;
        return new GgufFile(version, metadata, tensors, alignment, dataOffset);
    }

    private static GgufValue ReadValue(BinaryReader reader, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => GgufValue.Of(reader.ReadByte()),
        GgufValueType.Int8 => GgufValue.Of(reader.ReadSByte()),
        GgufValueType.UInt16 => GgufValue.Of(reader.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.Of(reader.ReadInt16()),
        GgufValueType.UInt32 => GgufValue.Of(reader.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.Of(reader.ReadInt32()),
        GgufValueType.Float32 => GgufValue.Of(reader.ReadSingle()),
        GgufValueType.Bool => GgufValue.Of(ReadBool(reader)),
        GgufValueType.String => GgufValue.Of(ReadString(reader)),
        GgufValueType.UInt64 => GgufValue.Of(reader.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.Of(reader.ReadInt64()),
        GgufValueType.Float64 => GgufValue.Of(reader.ReadDouble()),
        GgufValueType.Array => ReadArray(reader),
        _ => throw new InvalidDataException($"Unknown GGUF value type {(uint)type}."),
    };

    private static GgufValue ReadArray(BinaryReader reader)
    {
        var elementType = (GgufValueType)reader.ReadUInt32();
        var size = GgufValue.ScalarSize(elementType);
        // Strings take at least their 8-byte length; nested arrays at least their type and count.
        var count = ReadCount(reader, minBytesEach: size > 0 ? size : elementType == GgufValueType.String ? 8 : 12);
        object items = elementType switch
        {
            GgufValueType.UInt8 => ReadScalars<byte>(reader, count),
            GgufValueType.Int8 => ReadScalars<sbyte>(reader, count),
            GgufValueType.UInt16 => ReadScalars<ushort>(reader, count),
            GgufValueType.Int16 => ReadScalars<short>(reader, count),
            GgufValueType.UInt32 => ReadScalars<uint>(reader, count),
            GgufValueType.Int32 => ReadScalars<int>(reader, count),
            GgufValueType.Float32 => ReadScalars<float>(reader, count),
            GgufValueType.UInt64 => ReadScalars<ulong>(reader, count),
            GgufValueType.Int64 => ReadScalars<long>(reader, count),
            GgufValueType.Float64 => ReadScalars<double>(reader, count),
            GgufValueType.Bool => ReadBools(reader, count),
            GgufValueType.String => ReadStrings(reader, count),
            GgufValueType.Array => ReadNestedArrays(reader, count),
            _ => throw new InvalidDataException($"Unknown GGUF array element type {(uint)elementType}."),
        };
        return GgufValue.FromParts(GgufValueType.Array, items, elementType);
    }

    /// <summary>Reads fixed-size little-endian scalars straight into the array's memory (this machine is little-endian).</summary>
    private static T[] ReadScalars<T>(BinaryReader reader, int count) where T : unmanaged
    {
        var items = new T[count];
        reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(items.AsSpan()));
        return items;
    }

    private static bool[] ReadBools(BinaryReader reader, int count)
    {
        var items = new bool[count];
        for (var i = 0; i < count; i++) items[i] = ReadBool(reader);
        return items;
    }

    private static string[] ReadStrings(BinaryReader reader, int count)
    {
        var items = new string[count];
        for (var i = 0; i < count; i++) items[i] = ReadString(reader);
        return items;
    }

    private static GgufValue[] ReadNestedArrays(BinaryReader reader, int count)
    {
        var items = new GgufValue[count];
        for (var i = 0; i < count; i++) items[i] = ReadArray(reader);
        return items;
    }

    private static bool ReadBool(BinaryReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new InvalidDataException($"GGUF bool holds {b}, not 0 or 1."),
    };

    private static string ReadString(BinaryReader reader)
    {
        var length = ReadCount(reader, minBytesEach: 1);
        if (length == 0) return "";
        // Token texts are short; rent nothing, a stack buffer covers almost all of them.
        Span<byte> small = stackalloc byte[256];
        var bytes = length <= small.Length ? small[..length] : new byte[length];
        reader.BaseStream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A 64-bit count, refused when the rest of the file could not possibly hold that many items.</summary>
    private static int ReadCount(BinaryReader reader, int minBytesEach)
    {
        var count = reader.ReadUInt64();
        var stream = reader.BaseStream;
        var remaining = (ulong)Math.Max(0, stream.Length - stream.Position);
        if (count > int.MaxValue || count * (ulong)minBytesEach > remaining)
            throw new InvalidDataException($"GGUF count {count} at offset {stream.Position - 8} exceeds what the file holds.");
        return (int)count;
    }
}
