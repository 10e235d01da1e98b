using Atlas.TestModels.Gguf;

namespace Atlas.TestModels.Tests;

/// <summary>The GGUF writer and reader agree with each other on every value type, and the reader with a real file.</summary>
public sealed class GgufFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atlas-gguf-tests-").FullName;

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    public void Every_value_type_and_tensor_round_trips(uint alignment)
    {
        var path = Path.Combine(_dir, $"all-{alignment}.gguf");
        var writer = new GgufWriter(alignment);
        writer.AddMetadata("u8", GgufValue.Of((byte)200));
        writer.AddMetadata("i8", GgufValue.Of((sbyte)-100));
        writer.AddMetadata("u16", GgufValue.Of((ushort)60000));
        writer.AddMetadata("i16", GgufValue.Of((short)-30000));
        writer.AddMetadata("u32", GgufValue.Of(4_000_000_000u));
        writer.AddMetadata("i32", GgufValue.Of(-2_000_000_000));
        writer.AddMetadata("f32", GgufValue.Of(1.5f));
        writer.AddMetadata("bool", GgufValue.Of(true));
        writer.AddMetadata("string", GgufValue.Of("<｜fim▁begin｜> ▁<PRE>"));
        writer.AddMetadata("u64", GgufValue.Of(ulong.MaxValue));
        writer.AddMetadata("i64", GgufValue.Of(long.MinValue));
        writer.AddMetadata("f64", GgufValue.Of(Math.PI));
        writer.AddMetadata("strings", GgufValue.Array(new[] { "", "a", "<|fim_prefix|>", new string('x', 1000) }));
        writer.AddMetadata("floats", GgufValue.Array(new[] { -1f, 0f, 2.5f }));
        writer.AddMetadata("ints", GgufValue.Array(new[] { 1, 3, -6 }));
        writer.AddMetadata("bools", GgufValue.Array(new[] { true, false }));
        writer.AddMetadata("nested", GgufValue.ArrayOfArrays([GgufValue.Array(new[] { 7u }), GgufValue.Array(new[] { "x", "y" })]));
        writer.AddTensor("f32", GgmlType.F32, [3, 2], (first, values) =>
        {
            for (var i = 0; i < values.Length; i++) values[i] = first + i;
        });
        writer.AddTensor("f16", GgmlType.F16, [5], (first, values) =>
        {
            for (var i = 0; i < values.Length; i++) values[i] = -(first + i) / 4f;
        });
        writer.Write(path);

        var file = GgufReader.Read(path);

        Assert.Equal(3u, file.Version);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal((byte)200, file["u8"].Value);
        Assert.Equal((sbyte)-100, file["i8"].Value);
        Assert.Equal((ushort)60000, file["u16"].Value);
        Assert.Equal((short)-30000, file["i16"].Value);
        Assert.Equal(4_000_000_000u, file["u32"].AsUInt32());
        Assert.Equal(-2_000_000_000, file["i32"].Value);
        Assert.Equal(GgufValueType.Int32, file["i32"].Type);
        Assert.Equal(1.5f, file["f32"].AsSingle());
        Assert.True(file["bool"].AsBool());
        Assert.Equal("<｜fim▁begin｜> ▁<PRE>", file["string"].AsString());
        Assert.Equal(ulong.MaxValue, file["u64"].Value);
        Assert.Equal(long.MinValue, file["i64"].Value);
        Assert.Equal(Math.PI, file["f64"].Value);
        Assert.Equal(["", "a", "<|fim_prefix|>", new string('x', 1000)], file["strings"].AsArray<string>());
        Assert.Equal([-1f, 0f, 2.5f], file["floats"].AsArray<float>());
        Assert.Equal([1, 3, -6], file["ints"].AsArray<int>());
        Assert.Equal([true, false], file["bools"].AsArray<bool>());
        var nested = file["nested"].AsArray<GgufValue>();
        Assert.Equal([7u], nested[0].AsArray<uint>());
        Assert.Equal(["x", "y"], nested[1].AsArray<string>());
        // The writer's own key comes first, then the caller's in the order added.
        Assert.Equal(GgufFormat.AlignmentKey, file.Metadata[0].Key);
        Assert.Equal("u8", file.Metadata[1].Key);

        Assert.Equal(0, file.DataOffset % alignment);
        var f32 = file.Tensors[0];
        var f16 = file.Tensors[1];
        Assert.Equal("f32 F32 [3, 2] at 0", f32.ToString());
        Assert.Equal($"f16 F16 [5] at {alignment}", f16.ToString()); // the 24 bytes of f32, padded

        var bytes = File.ReadAllBytes(path);
        var f32Data = bytes.AsSpan((int)file.DataOffset, 24);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f32Data).ToArray());
        var f16Data = bytes.AsSpan((int)(file.DataOffset + (long)f16.Offset), 10);
        Assert.Equal([0f, -0.25f, -0.5f, -0.75f, -1f],
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(f16Data).ToArray().Select(h => (float)h));
        // Every tensor is padded to the alignment, the last one included.
        Assert.Equal(file.DataOffset + 2 * alignment, bytes.Length);
    }

    [Fact]
    public void Tensors_larger_than_one_chunk_are_written_in_order()
    {
        const int count = 1_000_003; // several chunks and an odd tail
        var path = Path.Combine(_dir, "big.gguf");
        var writer = new GgufWriter();
        writer.AddTensor("big", GgmlType.F32, [count], (first, values) =>
        {
            for (var i = 0; i < values.Length; i++) values[i] = first + i;
        });
        writer.Write(path);

        var file = GgufReader.Read(path);
        var data = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            File.ReadAllBytes(path).AsSpan((int)file.DataOffset, count * 4));
        for (var i = 0; i < count; i++)
        {
            if (data[i] != i) Assert.Fail($"element {i} holds {data[i]}");
        }
    }

    [Fact]
    public void The_donor_reads_as_a_llama_2_tokenizer()
    {
        var file = GgufReader.Read(SharedModels.Find(SharedModels.TinyLlama));

        Assert.Equal("llama", file["general.architecture"].AsString());
        Assert.Equal("llama", file["tokenizer.ggml.model"].AsString());
        Assert.Equal(32000, file["tokenizer.ggml.tokens"].ArrayLength);
        Assert.Equal(32000, file["tokenizer.ggml.scores"].ArrayLength);
        Assert.Equal(32000, file["tokenizer.ggml.token_type"].ArrayLength);
        Assert.Equal("<s>", file["tokenizer.ggml.tokens"].AsArray<string>()[file["tokenizer.ggml.bos_token_id"].AsUInt32()]);
        Assert.Contains(file.Tensors, t => t.Name == "token_embd.weight" && t.Shape[1] == 32000);
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_refused()
    {
        var path = Path.Combine(_dir, "text.gguf");
        File.WriteAllText(path, "these are not weights, just some text");
        var error = Assert.Throws<InvalidDataException>(() => GgufReader.Read(path));
        Assert.Contains("Not a GGUF", error.Message);
    }

    [Fact]
    public void A_truncated_header_is_refused_not_misread()
    {
        var donor = File.ReadAllBytes(SharedModels.Find(SharedModels.TinyLlama));
        var path = Path.Combine(_dir, "cut.gguf");
        File.WriteAllBytes(path, donor[..50_000]); // inside the token table
        Assert.Throws<InvalidDataException>(() => GgufReader.Read(path));
    }

    [Fact]
    public void Q8_0_blocks_hold_a_half_scale_and_the_rounded_quotients()
    {
        var writer = new GgufWriter();
        writer.AddTensor("q", GgmlType.Q8_0, [32], static (first, values) =>
        {
            for (var i = 0; i < values.Length; i++) values[i] = (first + i - 16) / 4f;
        });
        using var stream = new MemoryStream();
        writer.Write(stream);
        var file = GgufReader.Read(new MemoryStream(stream.ToArray()));
        var data = stream.ToArray().AsSpan((int)file.DataOffset, 34);

        // max |x| is 4 (x = -16/4), so d = 4/127 and x = i/4 - 4 quantizes to round(x * 127/4).
        Assert.Equal((Half)(4f / 127f), System.Runtime.InteropServices.MemoryMarshal.Read<Half>(data));
        for (var i = 0; i < 32; i++)
            Assert.Equal((sbyte)MathF.Round((i - 16) / 4f * (127f / 4f)), (sbyte)data[2 + i]);
    }

    [Fact]
    public void The_writer_refuses_what_would_make_a_bad_file()
    {
        var writer = new GgufWriter();
        writer.AddMetadata("a", GgufValue.Of(1));
        Assert.Throws<ArgumentException>(() => writer.AddMetadata("a", GgufValue.Of(2)));
        Assert.Throws<ArgumentException>(() => writer.AddMetadata(GgufFormat.AlignmentKey, GgufValue.Of(64u)));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", GgmlType.Q4_0, [32], (_, _) => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("r", GgmlType.Q8_0, [48], (_, _) => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("z", GgmlType.F32, [0], (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(alignment: 24));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
