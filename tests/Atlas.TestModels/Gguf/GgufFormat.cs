namespace Atlas.TestModels.Gguf;

/// <summary>Constants of the GGUF container format (ggml's docs/gguf.md), in one place for reader and writer.</summary>
public static class GgufFormat
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The version this writer produces. Version 2 differs only in using 64-bit counts too, so it reads the same.</summary>
    public const uint Version = 3;

    /// <summary>The alignment a file has when it does not set general.alignment.</summary>
    public const uint DefaultAlignment = 32;

    public const string AlignmentKey = "general.alignment";

    public static ulong AlignUp(ulong offset, uint alignment) => (offset + alignment - 1) / alignment * alignment;
}
