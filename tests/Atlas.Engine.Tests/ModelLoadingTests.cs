using Atlas.Engine.Loading;
using Atlas.TestModels;

namespace Atlas.Engine.Tests;

/// <summary>Loading: bad files are refused with one clear line; the KV cache type fits the model.</summary>
public sealed class ModelLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atlas-engine-tests-").FullName;

    [Fact]
    public async Task A_missing_file_is_named_in_the_error()
    {
        var path = Path.Combine(_dir, "nope.gguf");
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Models.LoadAsync(path));
        Assert.Contains(path, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_gguf_is_refused_before_llama_cpp_reads_it()
    {
        var path = Path.Combine(_dir, "notes.gguf");
        await File.WriteAllTextAsync(path, "these are not weights");
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Models.LoadAsync(path));
        Assert.Contains("Not a GGUF", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData(100, "claims")]
    [InlineData(3000, "claims")]
    [InlineData(-1000, "past the end of the file")]
    public async Task A_truncated_gguf_is_refused_with_what_is_wrong_before_llama_cpp_reads_it(int keep, string why)
    {
        var path = Path.Combine(_dir, "cut.gguf");
        var bytes = await File.ReadAllBytesAsync(Models.Tiny);
        await File.WriteAllBytesAsync(path, bytes[..(keep > 0 ? keep : bytes.Length + keep)]);
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Models.LoadAsync(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(why, error.Message);
        Assert.DoesNotContain("llama.cpp refused", error.Message);
    }

    [Fact]
    public async Task A_tensor_count_the_file_cannot_hold_is_named()
    {
        var path = Path.Combine(_dir, "count.gguf");
        var bytes = await File.ReadAllBytesAsync(Models.Tiny);
        BitConverter.GetBytes(1_000_000_000UL).CopyTo(bytes, 8); // after the magic and the version
        await File.WriteAllBytesAsync(path, bytes);
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Models.LoadAsync(path));
        Assert.Contains("1,000,000,000 tensors", error.Message);
    }

    [Fact]
    public async Task A_folder_named_like_a_model_is_called_a_folder()
    {
        var path = Directory.CreateDirectory(Path.Combine(_dir, "model.gguf")).FullName;
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Models.LoadAsync(path));
        Assert.Contains("is a folder", error.Message);
    }

    [Fact]
    public async Task A_head_size_that_cannot_take_q8_0_falls_back_to_f16_with_a_warning()
    {
        using var engine = await Models.LoadAsync(Models.Tiny); // head size 4
        Assert.Equal(KvCacheType.Q8_0, engine.Model.KvPlan.Requested);
        Assert.Equal(KvCacheType.F16, engine.Info.KvCache);
        Assert.Contains("head size", engine.Model.KvPlan.Warning);
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = "hello", MaxTokens = 3 });
        Assert.NotEmpty(completion.Tokens);
    }

    [Theory]
    [InlineData(KvCacheType.Q8_0)]
    [InlineData(KvCacheType.Q4_0)]
    [InlineData(KvCacheType.F16)]
    public async Task A_model_with_head_size_64_gets_the_requested_kv_type_and_decodes(KvCacheType type)
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(), kv: type);
        Assert.Equal(type, engine.Info.KvCache);
        Assert.Null(engine.Model.KvPlan.Warning);
        var completion = await engine.CompleteAsync(new CompletionRequest { Prefix = "int x = ", MaxTokens = 4 });
        Assert.NotEmpty(completion.Tokens);
    }

    [Fact]
    public async Task A_q8_0_kv_cache_takes_about_half_the_bytes_of_f16()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic());
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var (f16, _) = KvCacheFootprint.Measure(engine.Model, KvCacheType.F16, 4096, logger);
        var (q8, effective) = KvCacheFootprint.Measure(engine.Model, KvCacheType.Q8_0, 4096, logger);

        Assert.Equal(KvCacheType.Q8_0, effective);
        // q8_0 stores 32 values in 34 bytes, f16 in 64.
        Assert.InRange((double)q8!.Value / f16!.Value, 0.50, 0.56);
    }

    [Fact]
    public void Kv_cache_type_names_parse_and_unknown_ones_are_refused()
    {
        Assert.Equal(KvCacheType.Q8_0, KvCachePlan.Parse("Q8_0"));
        Assert.Equal(KvCacheType.F16, KvCachePlan.Parse("f16"));
        Assert.Equal(KvCacheType.Q4_0, KvCachePlan.Parse("q4_0"));
        Assert.Throws<ArgumentException>(() => KvCachePlan.Parse("q3_k"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
