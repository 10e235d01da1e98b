namespace Atlas.TestModels.Gguf;

/// <summary>
/// One entry of a GGUF file's tensor table. <see cref="Shape"/> is in ggml order: element 0 is the contiguous
/// (input) dimension. <see cref="Offset"/> is relative to the start of the file's data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<ulong> Shape, GgmlType Type, ulong Offset)
{
    public ulong ElementCount
    {
        get
        {
            ulong count = 1;
            foreach (var n in Shape) count *= n;
            return count;
        }
    }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}] at {Offset}";
}
