using Atlas.TestModels.Gguf;
using LLama;
using LLama.Native;

namespace Atlas.TestModels.Tests;

/// <summary>
/// Synthetic models as llama.cpp sees them: it loads them, finds the FIM tokens where the metadata says, decodes
/// with a q8_0 KV cache, decodes deterministically, and a draft differs from its target as much as asked.
/// </summary>
public sealed class LlamaCppLoadingTests
{
    private const int DonorVocabularySize = 32000;

    [Fact]
    public void A_model_without_fim_tokens_has_the_donors_vocabulary_and_the_specs_shape()
    {
        var spec = new SyntheticModelSpec();
        using var weights = Llama.Load(SyntheticModel.GetOrCreate(spec));

        Assert.Equal(DonorVocabularySize, weights.Vocab.Count);
        Assert.Equal(spec.EmbeddingLength, weights.EmbeddingSize);
        Assert.Equal(spec.ContextLength, weights.ContextSize);
        Assert.Equal("4", weights.Metadata["llama.attention.head_count"]);
        Assert.Equal("2", weights.Metadata["llama.block_count"]);
        Assert.Null(weights.Vocab.InfillPrefix);
        Assert.Null(weights.Vocab.InfillSuffix);
        Assert.Null(weights.Vocab.InfillMiddle);
        Assert.Equal(1, (int)weights.Vocab.BOS!.Value);
    }

    [Theory]
    [InlineData(FimTokens.Qwen)]
    [InlineData(FimTokens.StarCoder)]
    [InlineData(FimTokens.CodeLlama)]
    [InlineData(FimTokens.DeepSeek)]
    [InlineData(FimTokens.Codestral)]
    public void Llama_cpp_reports_the_fim_tokens_at_the_ids_the_metadata_sets(FimTokens family)
    {
        var texts = FimVocabulary.For(family)!;
        var path = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Fim = family });
        var metadata = GgufReader.Read(path);
        int Id(string key) => (int)metadata[key].AsUInt32();
        using var weights = Llama.Load(path);
        var vocab = weights.Vocab;

        Assert.Equal(DonorVocabularySize + texts.Added.Count, vocab.Count);
        Assert.Equal(Id(FimVocabulary.PrefixKey), (int?)vocab.InfillPrefix);
        Assert.Equal(Id(FimVocabulary.SuffixKey), (int?)vocab.InfillSuffix);
        Assert.Equal(Id(FimVocabulary.MiddleKey), (int?)vocab.InfillMiddle);
        Assert.Equal(texts.Pad is null ? null : Id(FimVocabulary.PadKey), (int?)vocab.InfillPad);
        Assert.Equal(texts.RepoName is null ? null : Id(FimVocabulary.RepoKey), (int?)vocab.InfillRep);
        Assert.Equal(texts.FileSeparator is null ? null : Id(FimVocabulary.FileSeparatorKey), (int?)vocab.InfillSep);
        Assert.Equal(texts.EndOfText is null ? null : Id(FimVocabulary.EndOfTextKey), (int?)vocab.EOT);
        foreach (var (text, key) in texts.Added)
        {
            LLamaToken token = Id(key);
            // Rendered with special=true, a control token is its exact text (U+2581 included, not turned into a space).
            Assert.Equal(text, vocab.LLamaTokenToString(token, true));
            Assert.True(token.IsControl(vocab), $"{text} is not a control token");
            // Its exact text, parsed with special tokens on, is that one token.
            Assert.Equal([(int)token], weights.Tokenize(text, false, true, System.Text.Encoding.UTF8).Select(t => (int)t));
            // llama.cpp ends generation at the end-of-text token and also at pad, repository and file-separator
            // markers (it adds every fim_pad/fim_rep/fim_sep id to its EOG set), never at prefix, suffix or middle.
            var endsGeneration = key is FimVocabulary.EndOfTextKey or FimVocabulary.PadKey or FimVocabulary.RepoKey or FimVocabulary.FileSeparatorKey;
            Assert.True(endsGeneration == token.IsEndOfGeneration(vocab), $"{text}: end of generation should be {endsGeneration}");
        }
    }

    [Fact]
    public void Qwen_markers_tokenize_to_the_single_added_token_only_when_special()
    {
        var path = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Fim = FimTokens.Qwen });
        using var weights = Llama.Load(path);
        var prefix = (int)weights.Vocab.InfillPrefix!.Value;

        var special = weights.Tokenize("<|fim_prefix|>", false, true, System.Text.Encoding.UTF8);
        var plain = weights.Tokenize("<|fim_prefix|>", false, false, System.Text.Encoding.UTF8);

        Assert.Equal([prefix], special.Select(t => (int)t));
        Assert.True(plain.Length > 1);
        Assert.DoesNotContain(prefix, plain.Select(t => (int)t));
        Assert.Equal(DonorVocabularySize, prefix); // the first appended token
    }

    [Fact]
    public void A_q8_0_kv_cache_with_flash_attention_decodes_a_batch_at_head_size_64()
    {
        var spec = new SyntheticModelSpec();
        Assert.Equal(64, spec.HeadSize);
        var parameters = Llama.QuantizedKvParameters(SyntheticModel.GetOrCreate(spec));
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var prompt = context.Tokenize("int main(void) { return 0; }", addBos: true, special: false);

        var logits = Llama.PromptLogits(context, prompt);

        Assert.Equal(weights.Vocab.Count, logits.Length);
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
        Assert.True(logits.Max() - logits.Min() > 1f, "logits are flat");
    }

    [Fact]
    public void Greedy_decoding_is_deterministic_across_loads_and_has_a_clear_winner()
    {
        var path = SyntheticModel.GetOrCreate(new SyntheticModelSpec());
        const string prompt = "def fibonacci(n):";

        var first = Llama.Greedy(path, prompt, 8);
        var second = Llama.Greedy(path, prompt, 8);

        Assert.Equal(first, second);
        using var weights = Llama.Load(path);
        using var context = weights.CreateContext(Llama.Parameters(path));
        var logits = Llama.PromptLogits(context, context.Tokenize(prompt, addBos: true, special: false));
        var sorted = logits.OrderDescending().ToArray();
        // The output head's gain makes the best token stand out instead of tying with its runner-up.
        Assert.True(sorted[0] - sorted[1] > 0.01f, $"top two logits {sorted[0]} and {sorted[1]} nearly tie");
        Assert.True(sorted[0] - logits.Average() > 5f, "the best logit does not stand out from the mean");
    }

    [Fact]
    public void A_draft_with_no_noise_matches_its_target_and_more_noise_moves_it_further()
    {
        var target = new SyntheticModelSpec();
        var prompt = "for (int i = 0; i < n; i++)";
        var targetLogits = Logits(SyntheticModel.GetOrCreate(target), prompt);
        var same = Logits(SyntheticModel.GetOrCreate(target with { NoiseSeed = 7, NoiseScale = 0 }), prompt);
        var near = Logits(SyntheticModel.GetOrCreate(target with { NoiseSeed = 7, NoiseScale = 0.05f }), prompt);
        var far = Logits(SyntheticModel.GetOrCreate(target with { NoiseSeed = 7, NoiseScale = 1f }), prompt);

        Assert.Equal(targetLogits, same);
        var nearDistance = MeanAbsoluteDifference(targetLogits, near);
        var farDistance = MeanAbsoluteDifference(targetLogits, far);
        Assert.True(nearDistance > 0, "a 5% draft gives the target's exact logits");
        Assert.True(farDistance > 5 * nearDistance, $"noise 1 moved logits {farDistance}, noise 0.05 moved them {nearDistance}");
        Assert.NotEqual(Llama.ArgMax(targetLogits), Llama.ArgMax(far));
    }

    [Fact]
    public void An_eos_override_makes_the_chosen_token_end_generation()
    {
        const int chosen = 1000;
        using var weights = Llama.Load(SyntheticModel.GetOrCreate(new SyntheticModelSpec { EosTokenId = chosen }));
        LLamaToken token = chosen;

        Assert.Equal(chosen, (int?)weights.Vocab.EOS);
        Assert.True(token.IsEndOfGeneration(weights.Vocab));
        Assert.Throws<ArgumentException>(() => SyntheticModel.GetOrCreate(new SyntheticModelSpec { EosTokenId = DonorVocabularySize }));
    }

    [Fact]
    public void A_grouped_query_f32_model_loads_and_decodes()
    {
        var spec = new SyntheticModelSpec { EmbeddingLength = 128, HeadCount = 2, KvHeadCount = 1, LayerCount = 1, FeedForwardLength = 256, WeightType = GgmlType.F32 };
        var path = SyntheticModel.GetOrCreate(spec);
        using var weights = Llama.Load(path);

        Assert.Equal("1", weights.Metadata["llama.attention.head_count_kv"]);
        Assert.Equal(8, Llama.Greedy(path, "hello", 8).Count);
    }

    [Fact]
    public void A_q8_0_weight_model_loads_and_stays_close_to_its_f16_twin()
    {
        var f16 = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 21 });
        var q8 = SyntheticModel.GetOrCreate(new SyntheticModelSpec { Seed = 21, WeightType = GgmlType.Q8_0 });
        using (var weights = Llama.Load(q8)) Assert.Equal("7", weights.Metadata["general.file_type"]);

        var a = Logits(f16, "int main(void) {");
        var b = Logits(q8, "int main(void) {");
        Assert.All(b, v => Assert.True(float.IsFinite(v)));
        // 8-bit weights perturb the logits by a small fraction of their spread.
        var spread = a.Select(Math.Abs).Average();
        Assert.InRange(MeanAbsoluteDifference(a, b), 1e-6, 0.1 * spread);
    }

    private static float[] Logits(string path, string prompt)
    {
        var parameters = Llama.Parameters(path);
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        return Llama.PromptLogits(context, context.Tokenize(prompt, addBos: true, special: false));
    }

    private static double MeanAbsoluteDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
