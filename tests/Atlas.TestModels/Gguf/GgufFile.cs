namespace Atlas.TestModels.Gguf;

/// <summary>
/// What <see cref="GgufReader"/> found in a GGUF file: everything before the tensor data. Metadata keeps the
/// file's order, because a copy written in the same order is easier to compare with the original.
/// </summary>
public sealed class GgufFile
{
    private readonly Dictionary<string, GgufValue> _byKey;

    internal GgufFile(uint version, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<GgufTensorInfo> tensors, uint alignment, long dataOffset)
    {
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;
        _byKey = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (!_byKey.TryAdd(key, value))
                throw new InvalidDataException($"GGUF metadata key '{key}' appears twice.");
        }
    }

    public uint Version { get; }

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>general.alignment, or the format's default of 32 when the file does not say.</summary>
    public uint Alignment { get; }

    /// <summary>Absolute file offset where tensor data begins (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public GgufValue this[string key] =>
        _byKey.TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"GGUF has no metadata key '{key}'.");

    public bool TryGet(string key, out GgufValue value) => _byKey.TryGetValue(key, out value!);
}
