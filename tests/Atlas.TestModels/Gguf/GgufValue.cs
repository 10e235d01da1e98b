using System.Globalization;

namespace Atlas.TestModels.Gguf;

/// <summary>
/// A GGUF metadata value. Scalars are held in the matching .NET type (uint for UInt32, string for String, ...);
/// an array is held as a typed .NET array (string[], float[], int[], ...) or, for arrays of arrays, as
/// <c>GgufValue[]</c>, so a donor's 32,000-entry token table is one allocation, not 32,000 boxes.
/// The type tag is kept explicitly because the file distinguishes, say, Int32 from UInt32 and llama.cpp checks it.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, object value, GgufValueType elementType)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type when <see cref="Type"/> is <see cref="GgufValueType.Array"/>; otherwise meaningless.</summary>
    public GgufValueType ElementType { get; }

    public object Value { get; }

    public static GgufValue Of(byte v) => new(GgufValueType.UInt8, v, default);
    public static GgufValue Of(sbyte v) => new(GgufValueType.Int8, v, default);
    public static GgufValue Of(ushort v) => new(GgufValueType.UInt16, v, default);
    public static GgufValue Of(short v) => new(GgufValueType.Int16, v, default);
    public static GgufValue Of(uint v) => new(GgufValueType.UInt32, v, default);
    public static GgufValue Of(int v) => new(GgufValueType.Int32, v, default);
    public static GgufValue Of(float v) => new(GgufValueType.Float32, v, default);
    public static GgufValue Of(bool v) => new(GgufValueType.Bool, v, default);
    public static GgufValue Of(string v) => new(GgufValueType.String, v, default);
    public static GgufValue Of(ulong v) => new(GgufValueType.UInt64, v, default);
    public static GgufValue Of(long v) => new(GgufValueType.Int64, v, default);
    public static GgufValue Of(double v) => new(GgufValueType.Float64, v, default);

    /// <summary>An array of scalars; the element type follows from T (e.g. int → Int32, string → String).</summary>
    public static GgufValue Array<T>(T[] items) where T : notnull =>
        new(GgufValueType.Array, items, ElementTypeOf(typeof(T)));

    /// <summary>An array of arrays (allowed by the format, rare in practice).</summary>
    public static GgufValue ArrayOfArrays(GgufValue[] items)
    {
        foreach (var item in items)
        {
            if (item.Type != GgufValueType.Array)
                throw new ArgumentException("Every element of an array of arrays must itself be an array.", nameof(items));
        }
        return new(GgufValueType.Array, items, GgufValueType.Array);
    }

    /// <summary>Builds a value from a type tag and a .NET object of the matching type (what the reader produces).</summary>
    internal static GgufValue FromParts(GgufValueType type, object value, GgufValueType elementType) =>
        new(type, value, elementType);

    public string AsString() => Value as string ?? throw Mismatch("a string");

    public bool AsBool() => Value is bool b ? b : throw Mismatch("a bool");

    /// <summary>Any integer type, checked into uint: token ids are UInt32 by convention, but writers vary.</summary>
    public uint AsUInt32() => Value switch
    {
        byte v => v,
        sbyte v => checked((uint)v),
        ushort v => v,
        short v => checked((uint)v),
        uint v => v,
        int v => checked((uint)v),
        ulong v => checked((uint)v),
        long v => checked((uint)v),
        _ => throw Mismatch("an integer"),
    };

    public float AsSingle() => Type switch
    {
        GgufValueType.Float32 => (float)Value,
        GgufValueType.Float64 => (float)(double)Value,
        _ => throw Mismatch("a float"),
    };

    /// <summary>The typed array, e.g. <c>AsArray&lt;string&gt;()</c> for tokenizer.ggml.tokens.</summary>
    public T[] AsArray<T>() => Value as T[] ?? throw Mismatch($"an array of {typeof(T).Name}");

    public int ArrayLength => Value is System.Array a ? a.Length : throw Mismatch("an array");

    public override string ToString() => Type == GgufValueType.Array
        ? $"[{ElementType} x {ArrayLength}]"
        : Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "";

    internal static GgufValueType ElementTypeOf(Type t) =>
        t == typeof(byte) ? GgufValueType.UInt8
        : t == typeof(sbyte) ? GgufValueType.Int8
        : t == typeof(ushort) ? GgufValueType.UInt16
        : t == typeof(short) ? GgufValueType.Int16
        : t == typeof(uint) ? GgufValueType.UInt32
        : t == typeof(int) ? GgufValueType.Int32
        : t == typeof(float) ? GgufValueType.Float32
        : t == typeof(bool) ? GgufValueType.Bool
        : t == typeof(string) ? GgufValueType.String
        : t == typeof(ulong) ? GgufValueType.UInt64
        : t == typeof(long) ? GgufValueType.Int64
        : t == typeof(double) ? GgufValueType.Float64
        : throw new ArgumentException($"GGUF has no array element type for {t.Name}.");

    /// <summary>Size in bytes of a fixed-size scalar type; 0 for String and Array.</summary>
    internal static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    private InvalidOperationException Mismatch(string wanted) =>
        new($"GGUF value of type {Type} is not {wanted}.");
}
