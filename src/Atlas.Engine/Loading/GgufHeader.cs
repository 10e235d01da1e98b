using System.Text;

namespace Atlas.Engine.Loading;

/// <summary>
/// Reads a GGUF file's header before llama.cpp does, so that a broken file gets a message that says what is wrong
/// with it: llama.cpp only says it failed to load (a truncated download, a bad tensor count and a folder named
/// x.gguf all read alike). Checked: the magic, the version, the counts against the file's size, every metadata
/// entry and tensor description being inside the file, and every tensor's data (for the element types whose sizes
/// are known here) ending inside it.
/// </summary>
public static class GgufHeader
{
    /// <summary>Throws <see cref="ModelLoadException"/> naming what is wrong with the file; returns when the header holds together.</summary>
    public static void Check(string path)
    {
        if (Directory.Exists(path)) throw new ModelLoadException($"'{path}' is a folder, not a model file: point at the .gguf file inside it.");
        if (!File.Exists(path)) throw new ModelLoadException($"Model file not found: '{path}'.");
        try
        {
            using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
            new Reader(stream, path).Check();
        }
        catch (IOException e) when (e is not EndOfStreamException)
        {
            throw new ModelLoadException($"Cannot read model file '{path}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelLoadException($"Cannot read model file '{path}': {e.Message}", e);
        }
    }

    private sealed class Reader(Stream stream, string path)
    {
        private readonly BinaryReader _in = new(stream, Encoding.UTF8, leaveOpen: true);
        private readonly long _length = stream.Length;

        public void Check()
        {
            if (_length < 4 || !_in.ReadBytes(4).AsSpan().SequenceEqual("GGUF"u8))
                throw new ModelLoadException($"Not a GGUF model file: '{path}' (expected the bytes 'GGUF' at the start).");
            var version = U32("the version");
            if (version is < 2 or > 3) throw Broken($"GGUF version {version}, which this llama.cpp does not read (2 and 3 are)");
            var tensors = U64("the tensor count");
            var entries = U64("the metadata count");
            // Each tensor description takes at least 28 bytes and each metadata entry 13: counts the file cannot hold
            // are a corrupt header, not a model.
            if (tensors == 0 || tensors > (ulong)_length / 28) throw Broken($"the header claims {tensors:N0} tensors, which a file of {_length:N0} bytes cannot hold");
            if (entries > (ulong)_length / 13) throw Broken($"the header claims {entries:N0} metadata entries, which a file of {_length:N0} bytes cannot hold");

            var alignment = 32UL;
            for (ulong i = 0; i < entries; i++)
            {
                var key = Text($"the name of metadata entry {i}");
                var type = U32($"the type of {key}");
                if (key == "general.alignment" && type == 4) alignment = U32(key);
                else SkipValue(type, key);
            }
            if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw Broken($"general.alignment is {alignment}, not a power of two");

            var extents = new List<(string Name, ulong Offset, ulong? Bytes)>();
            for (ulong i = 0; i < tensors; i++)
            {
                var name = Text($"the name of tensor {i}");
                var dimensions = U32($"the dimension count of {name}");
                if (dimensions is 0 or > 4) throw Broken($"tensor {name} has {dimensions} dimensions (1 to 4 are possible)");
                ulong elements = 1;
                for (var d = 0; d < dimensions; d++) elements = checked(elements * U64($"a dimension of {name}"));
                var type = U32($"the type of {name}");
                var offset = U64($"the data offset of {name}");
                extents.Add((name, offset, Bytes(type, elements)));
            }

            var dataStart = ((ulong)stream.Position + alignment - 1) / alignment * alignment;
            foreach (var (name, offset, bytes) in extents)
            {
                var end = dataStart + offset + (bytes ?? 0);
                if (end > (ulong)_length)
                    throw Broken($"tensor {name}'s data runs to byte {end:N0}, past the end of the file at {_length:N0} (a truncated download? compare its size or checksum with the source)");
            }
        }

        /// <summary>Bytes of a tensor of a known element type (block size and bytes per block as ggml lays them out); null when unknown here.</summary>
        private static ulong? Bytes(uint type, ulong elements)
        {
            (ulong Block, ulong Size)? layout = type switch
            {
                0 => (1, 4), 1 => (1, 2), 30 => (1, 2),          // F32, F16, BF16
                2 => (32, 18), 3 => (32, 20), 6 => (32, 22), 7 => (32, 24), 8 => (32, 34), 9 => (32, 36), // Q4_0 … Q8_1
                10 => (256, 84), 11 => (256, 110), 12 => (256, 144), 13 => (256, 176), 14 => (256, 210), 15 => (256, 292), // K quants
                24 => (1, 1), 25 => (1, 2), 26 => (1, 4), 27 => (1, 8), 28 => (1, 8), // I8, I16, I32, I64, F64
                _ => null,
            };
            return layout is var (block, size) ? (elements + block - 1) / block * size : null;
        }

        private void SkipValue(uint type, string key)
        {
            switch (type)
            {
                case 0 or 1 or 7: Skip(1, key); break;
                case 2 or 3: Skip(2, key); break;
                case 4 or 5 or 6: Skip(4, key); break;
                case 10 or 11 or 12: Skip(8, key); break;
                case 8: Skip(Length(key), key); break;
                case 9:
                    var itemType = U32($"the item type of {key}");
                    var count = U64($"the length of {key}");
                    if (count > (ulong)_length) throw Broken($"{key} claims {count:N0} items, more than the file has bytes");
                    if (itemType is 0 or 1 or 7) Skip(count, key);
                    else if (itemType is 2 or 3) Skip(count * 2, key);
                    else if (itemType is 4 or 5 or 6) Skip(count * 4, key);
                    else if (itemType is 10 or 11 or 12) Skip(count * 8, key);
                    else if (itemType == 8) for (ulong i = 0; i < count; i++) Skip(Length(key), key);
                    else throw Broken($"{key} is an array of unknown type {itemType}");
                    break;
                default: throw Broken($"metadata entry {key} has unknown type {type}");
            }
        }

        private string Text(string what)
        {
            var length = Length(what);
            return Encoding.UTF8.GetString(_in.ReadBytes((int)length));
        }

        /// <summary>A string's length, checked against what is left of the file.</summary>
        private ulong Length(string what)
        {
            var length = U64(what);
            if (length > (ulong)(_length - stream.Position)) throw Broken($"{what} claims {length:N0} bytes, more than is left of the file (truncated or corrupt)");
            return length;
        }

        private void Skip(ulong bytes, string what)
        {
            if (bytes > (ulong)(_length - stream.Position)) throw Broken($"the file ends inside {what} (truncated?)");
            stream.Seek((long)bytes, SeekOrigin.Current);
        }

        private uint U32(string what) => Need(4, what) ? _in.ReadUInt32() : 0;
        private ulong U64(string what) => Need(8, what) ? _in.ReadUInt64() : 0;

        private bool Need(int bytes, string what) =>
            _length - stream.Position >= bytes ? true : throw Broken($"the file ends inside {what}, at byte {stream.Position:N0} of the header (truncated?)");

        private ModelLoadException Broken(string why) => new($"'{path}' is not a usable GGUF model: {why}.");
    }
}
