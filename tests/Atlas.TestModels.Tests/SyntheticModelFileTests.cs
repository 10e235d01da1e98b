using System.Security.Cryptography;
using Atlas.TestModels.Gguf;

namespace Atlas.TestModels.Tests;

/// <summary>What a synthetic model file holds, read back with the GGUF reader: shapes, metadata, tokens, determinism, caching.</summary>
public sealed class SyntheticModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atlas-synthetic-tests-").FullName;

    [Fact]
    public void Tensors_have_llama_names_and_ggml_order_shapes()
    {
        var spec = new SyntheticModelSpec { EmbeddingLength = 128, HeadCount = 4, KvHeadCount = 2, LayerCount = 3, FeedForwardLength = 320 };
        var written = SyntheticModel.Write(spec, Path.Combine(_dir, "gqa.gguf"));
        var file = GgufReader.Read(written.Path);
        var shapes = file.Tensors.ToDictionary(t => t.Name, t => (t.Type, Shape: string.Join('x', t.Shape)));

        Assert.Equal(3 + 3 * 9, file.Tensors.Count);
        Assert.Equal((GgmlType.F16, "128x32000"), shapes["token_embd.weight"]);
        Assert.Equal((GgmlType.F16, "128x32000"), shapes["output.weight"]);
        Assert.Equal((GgmlType.F32, "128"), shapes["output_norm.weight"]);
        Assert.Equal((GgmlType.F32, "128"), shapes["blk.2.attn_norm.weight"]);
        Assert.Equal((GgmlType.F32, "128"), shapes["blk.2.ffn_norm.weight"]);
        Assert.Equal((GgmlType.F16, "128x128"), shapes["blk.2.attn_q.weight"]);
        Assert.Equal((GgmlType.F16, "128x64"), shapes["blk.2.attn_k.weight"]); // 2 KV heads of 32
        Assert.Equal((GgmlType.F16, "128x64"), shapes["blk.2.attn_v.weight"]);
        Assert.Equal((GgmlType.F16, "128x128"), shapes["blk.2.attn_output.weight"]);
        Assert.Equal((GgmlType.F16, "128x320"), shapes["blk.2.ffn_gate.weight"]);
        Assert.Equal((GgmlType.F16, "128x320"), shapes["blk.2.ffn_up.weight"]);
        Assert.Equal((GgmlType.F16, "320x128"), shapes["blk.2.ffn_down.weight"]);

        Assert.Equal("llama", file["general.architecture"].AsString());
        Assert.Equal(1u, file["general.file_type"].AsUInt32());
        Assert.Equal(32768u, file["llama.context_length"].AsUInt32());
        Assert.Equal(128u, file["llama.embedding_length"].AsUInt32());
        Assert.Equal(3u, file["llama.block_count"].AsUInt32());
        Assert.Equal(320u, file["llama.feed_forward_length"].AsUInt32());
        Assert.Equal(4u, file["llama.attention.head_count"].AsUInt32());
        Assert.Equal(2u, file["llama.attention.head_count_kv"].AsUInt32());
        Assert.Equal(32u, file["llama.rope.dimension_count"].AsUInt32());
        Assert.Equal(SyntheticModel.RmsNormEpsilon, file["llama.attention.layer_norm_rms_epsilon"].AsSingle());
    }

    [Fact]
    public void The_donors_tokenizer_keys_are_copied_unchanged_without_fim()
    {
        var donor = GgufReader.Read(SharedModels.Find(SharedModels.TinyLlama));
        var file = GgufReader.Read(SyntheticModel.Write(new SyntheticModelSpec(), Path.Combine(_dir, "plain.gguf")).Path);

        var donorKeys = donor.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(donorKeys);
        foreach (var (key, value) in donorKeys)
        {
            Assert.Equal(value.Type, file[key].Type);
            Assert.Equal(value.Value, file[key].Value); // arrays compare element by element
        }
        Assert.DoesNotContain(file.Metadata, kv => kv.Key.Contains("fim", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(FimTokens.Qwen, 7)]
    [InlineData(FimTokens.StarCoder, 7)]
    [InlineData(FimTokens.CodeLlama, 4)]
    [InlineData(FimTokens.DeepSeek, 4)]
    [InlineData(FimTokens.Codestral, 3)]
    public void Fim_tokens_are_appended_as_control_tokens_with_their_role_ids(FimTokens family, int added)
    {
        var texts = FimVocabulary.For(family)!;
        var written = SyntheticModel.Write(new SyntheticModelSpec { Fim = family }, Path.Combine(_dir, $"{family}.gguf"));
        var file = GgufReader.Read(written.Path);
        var tokens = file["tokenizer.ggml.tokens"].AsArray<string>();
        var types = file["tokenizer.ggml.token_type"].AsArray<int>();
        var scores = file["tokenizer.ggml.scores"].AsArray<float>();

        Assert.Equal(32000 + added, written.VocabularySize);
        Assert.Equal(written.VocabularySize, tokens.Length);
        Assert.Equal(tokens.Length, types.Length);
        Assert.Equal(tokens.Length, scores.Length);
        Assert.Equal(texts.Added.Select(a => a.Text), tokens[32000..]);
        Assert.All(types[32000..], t => Assert.Equal(3, t));
        Assert.All(scores[32000..], s => Assert.Equal(0f, s));
        foreach (var (text, key) in texts.Added)
        {
            var id = (int)file[key].AsUInt32();
            Assert.Equal(text, tokens[id]);
            Assert.Equal(id, written.AddedTokenIds[text]);
        }
        // The embedding and the output head cover the enlarged vocabulary.
        Assert.All(file.Tensors.Where(t => t.Name is "token_embd.weight" or "output.weight"),
            t => Assert.Equal((ulong)tokens.Length, t.Shape[1]));
    }

    [Fact]
    public void Equal_specs_give_identical_bytes_and_another_seed_does_not()
    {
        var spec = new SyntheticModelSpec { EmbeddingLength = 64, HeadCount = 1, LayerCount = 1, FeedForwardLength = 128 };
        var first = Hash(SyntheticModel.Write(spec, Path.Combine(_dir, "a.gguf")).Path);
        var again = Hash(SyntheticModel.Write(spec with { }, Path.Combine(_dir, "b.gguf")).Path);
        var reseeded = Hash(SyntheticModel.Write(spec with { Seed = 2 }, Path.Combine(_dir, "c.gguf")).Path);
        var unnoised = Hash(SyntheticModel.Write(spec with { NoiseSeed = 9, NoiseScale = 0 }, Path.Combine(_dir, "d.gguf")).Path);

        Assert.Equal(first, again);
        Assert.Equal(first, unnoised);
        Assert.NotEqual(first, reseeded);
    }

    [Fact]
    public void F32_weights_are_written_as_f32_with_the_matching_file_type()
    {
        var spec = new SyntheticModelSpec { EmbeddingLength = 64, HeadCount = 1, LayerCount = 1, FeedForwardLength = 128, WeightType = GgmlType.F32 };
        var file = GgufReader.Read(SyntheticModel.Write(spec, Path.Combine(_dir, "f32.gguf")).Path);

        Assert.Equal(0u, file["general.file_type"].AsUInt32());
        Assert.All(file.Tensors, t => Assert.Equal(GgmlType.F32, t.Type));
    }

    [Fact]
    public void Weights_are_scaled_and_noise_moves_them_by_the_asked_amount()
    {
        var spec = new SyntheticModelSpec { EmbeddingLength = 64, HeadCount = 1, LayerCount = 1, FeedForwardLength = 128, WeightType = GgmlType.F32 };
        var target = ReadTensor(SyntheticModel.Write(spec, Path.Combine(_dir, "t.gguf")).Path, "blk.0.ffn_up.weight");
        var draft = ReadTensor(SyntheticModel.Write(spec with { NoiseSeed = 5, NoiseScale = 0.1f }, Path.Combine(_dir, "n.gguf")).Path, "blk.0.ffn_up.weight");

        // Unit-normal weights times 1/sqrt(fan-in 64): standard deviation 0.125, mean about 0.
        Assert.InRange(StdDev(target), 0.12, 0.13);
        Assert.InRange(Math.Abs(target.Average()), 0, 0.01);
        var difference = target.Zip(draft, (a, b) => b - a).ToArray();
        Assert.InRange(StdDev(difference), 0.1 * 0.12, 0.1 * 0.13);
    }

    [Fact]
    public void Invalid_specs_are_refused_before_anything_is_written()
    {
        Assert.Throws<ArgumentException>(() => SyntheticModel.Write(new SyntheticModelSpec { EmbeddingLength = 100, HeadCount = 3 }, Path.Combine(_dir, "x.gguf")));
        Assert.Throws<ArgumentException>(() => SyntheticModel.Write(new SyntheticModelSpec { KvHeadCount = 3 }, Path.Combine(_dir, "x.gguf")));
        Assert.Throws<ArgumentException>(() => SyntheticModel.Write(new SyntheticModelSpec { NoiseScale = 0.5f }, Path.Combine(_dir, "x.gguf")));
        Assert.Throws<ArgumentException>(() => SyntheticModel.Write(new SyntheticModelSpec { WeightType = GgmlType.Q4_0 }, Path.Combine(_dir, "x.gguf")));
        Assert.Throws<ArgumentException>(() => SyntheticModel.Write(new SyntheticModelSpec { WeightType = GgmlType.Q8_0, FeedForwardLength = 500 }, Path.Combine(_dir, "x.gguf")));
        Assert.False(File.Exists(Path.Combine(_dir, "x.gguf")));
    }

    [Fact]
    public void GetOrCreate_writes_once_under_concurrency_and_leaves_no_temporary_files()
    {
        // A donor at a fresh path gives a fresh cache entry, so this test really writes instead of finding a file.
        var donor = Path.Combine(_dir, "donor.gguf");
        File.Copy(SharedModels.Find(SharedModels.TinyLlama), donor);
        var spec = new SyntheticModelSpec { EmbeddingLength = 64, HeadCount = 1, LayerCount = 1, FeedForwardLength = 64, DonorPath = donor };
        var expected = SyntheticModel.CachePath(spec);
        try
        {
            var paths = new string[8];
            Parallel.For(0, paths.Length, i => paths[i] = SyntheticModel.GetOrCreate(spec with { }));

            Assert.All(paths, p => Assert.Equal(expected, p));
            Assert.StartsWith(SyntheticModel.CacheDirectory, expected);
            Assert.Equal(Hash(SyntheticModel.Write(spec, Path.Combine(_dir, "direct.gguf")).Path), Hash(expected));
            var name = Path.GetFileName(expected);
            Assert.Empty(Directory.GetFiles(SyntheticModel.CacheDirectory, name + ".*.tmp"));
            // A different spec is a different file.
            Assert.NotEqual(expected, SyntheticModel.CachePath(spec with { Seed = 2 }));
        }
        finally
        {
            File.Delete(expected);
        }
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static float[] ReadTensor(string path, string name)
    {
        var file = GgufReader.Read(path);
        var tensor = file.Tensors.Single(t => t.Name == name);
        Assert.Equal(GgmlType.F32, tensor.Type);
        using var stream = File.OpenRead(path);
        stream.Position = file.DataOffset + (long)tensor.Offset;
        var values = new float[tensor.ElementCount];
        stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static double StdDev(IReadOnlyCollection<float> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (double)(v - mean)) / values.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
