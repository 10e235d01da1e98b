using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Atlas.TestModels.Gguf;

namespace Atlas.TestModels;

/// <summary>What <see cref="SyntheticModel.Write"/> produced, for callers that need the ids it assigned.</summary>
/// <param name="AddedTokenIds">Each FIM token's text and its id (empty when the spec asks for none).</param>
public sealed record SyntheticModelFile(
    string Path,
    long Bytes,
    int DonorVocabularySize,
    int VocabularySize,
    IReadOnlyDictionary<string, int> AddedTokenIds);

/// <summary>
/// Writes synthetic llama-architecture GGUF models: a real tokenizer copied from a donor, optional FIM tokens
/// appended to it, and deterministic random weights of any shape. Tests get models with properties no shared file
/// has (head size 64, FIM tokens, a draft that agrees with its target to a chosen degree) without downloading.
/// </summary>
public static class SyntheticModel
{
    /// <summary>Bump whenever the same spec would produce different bytes, so stale cached files are not reused.</summary>
    private const int GeneratorVersion = 1;

    /// <summary>Logit standard deviation of the output head: large enough that greedy decoding has a clear winner.</summary>
    public const float OutputHeadGain = 4f;

    /// <summary>The text <see cref="SyntheticModelSpec.NewlineTokenId"/> gives its token: unlike any real token, ending in a line break.</summary>
    public const string NewlineTokenText = "⏎\n";

    public const float RmsNormEpsilon = 1e-5f;

    public const float RopeFrequencyBase = 10000f;

    private const string TokenizerPrefix = "tokenizer.ggml.";
    private const string TokensKey = "tokenizer.ggml.tokens";
    private const string ScoresKey = "tokenizer.ggml.scores";
    private const string TokenTypesKey = "tokenizer.ggml.token_type";
    private const string EosKey = "tokenizer.ggml.eos_token_id";

    /// <summary>llama.cpp's LLAMA_TOKEN_TYPE_NORMAL and LLAMA_TOKEN_TYPE_CONTROL.</summary>
    private const int NormalTokenType = 1;
    private const int ControlTokenType = 3;

    private static readonly ConcurrentDictionary<string, Lazy<string>> CreatedInThisProcess = new(StringComparer.Ordinal);

    /// <summary>Where <see cref="GetOrCreate"/> keeps its files: shared by every test process on the machine.</summary>
    public static string CacheDirectory => Path.Combine(Path.GetTempPath(), "atlas-test-models");

    /// <summary>Writes the model to <paramref name="path"/> (overwriting). Equal specs and donors give identical bytes.</summary>
    public static SyntheticModelFile Write(SyntheticModelSpec spec, string path)
    {
        spec.Validate();
        var donor = GgufReader.Read(ResolveDonor(spec));
        var tokenizer = Tokenizer.From(donor, FimVocabulary.For(spec.Fim), spec.EosTokenId, spec.NewlineTokenId);

        var writer = new GgufWriter();
        AddArchitecture(writer, spec, tokenizer.Tokens.Length);
        foreach (var (key, value) in tokenizer.Metadata) writer.AddMetadata(key, value);
        AddTensors(writer, spec, tokenizer.Tokens.Length);
        writer.Write(path);

        return new SyntheticModelFile(Path.GetFullPath(path), new FileInfo(path).Length,
            tokenizer.DonorVocabularySize, tokenizer.Tokens.Length, tokenizer.AddedTokenIds);
    }

    /// <summary>
    /// The path of the spec's model in <see cref="CacheDirectory"/>, written on first use. The file appears under its
    /// final name only complete (written to a unique temporary name, then renamed), so test processes that race
    /// either find a whole file or write their own identical one; the loser of the rename discards its copy.
    /// </summary>
    public static string GetOrCreate(SyntheticModelSpec spec)
    {
        spec.Validate();
        var path = CachePath(spec);
        // Within one process, concurrent tests asking for the same model wait for one writer instead of each writing.
        var lazy = CreatedInThisProcess.GetOrAdd(path, p => new Lazy<string>(() => CreateOnce(spec, p)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            CreatedInThisProcess.TryRemove(new(path, lazy));
            throw;
        }
    }

    /// <summary>The cache file name: a hash of everything that decides the file's bytes, the donor's identity included.</summary>
    public static string CachePath(SyntheticModelSpec spec)
    {
        var donor = new FileInfo(ResolveDonor(spec));
        var identity = string.Join('|',
            $"v{GeneratorVersion}", spec.EmbeddingLength, spec.HeadCount, spec.KvHeadCount, spec.LayerCount,
            spec.FeedForwardLength, spec.ContextLength, spec.Seed, spec.Fim, spec.NoiseSeed?.ToString(CultureInfo.InvariantCulture) ?? "-",
            BitConverter.SingleToInt32Bits(spec.NoiseScale), spec.WeightType,
            spec.EosTokenId?.ToString(CultureInfo.InvariantCulture) ?? "-",
            spec.NewlineTokenId?.ToString(CultureInfo.InvariantCulture) ?? "-",
            spec.DampedFromLayer?.ToString(CultureInfo.InvariantCulture) ?? "-", BitConverter.SingleToInt32Bits(spec.LayerDamping),
            donor.FullName, donor.Length, donor.LastWriteTimeUtc.Ticks);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];
        return Path.Combine(CacheDirectory, hash + ".gguf");
    }

    private static string CreateOnce(SyntheticModelSpec spec, string path)
    {
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Write(spec, temporary);
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process renamed its identical copy in first; theirs may already be open (mapped) by a reader.
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return path;
    }

    private static string ResolveDonor(SyntheticModelSpec spec) =>
        spec.DonorPath is { } donor ? Path.GetFullPath(donor) : SharedModels.Find(SharedModels.TinyLlama);

    private static void AddArchitecture(GgufWriter writer, SyntheticModelSpec spec, int vocabularySize)
    {
        writer.AddMetadata("general.architecture", GgufValue.Of("llama"));
        writer.AddMetadata("general.name", GgufValue.Of("atlas-synthetic"));
        // llama_ftype: 0 = all F32, 1 = mostly F16, 7 = mostly Q8_0 (the norms stay F32 either way).
        writer.AddMetadata("general.file_type", GgufValue.Of(spec.WeightType switch { GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, _ => 0u }));
        writer.AddMetadata("llama.vocab_size", GgufValue.Of((uint)vocabularySize));
        writer.AddMetadata("llama.context_length", GgufValue.Of((uint)spec.ContextLength));
        writer.AddMetadata("llama.embedding_length", GgufValue.Of((uint)spec.EmbeddingLength));
        writer.AddMetadata("llama.block_count", GgufValue.Of((uint)spec.LayerCount));
        writer.AddMetadata("llama.feed_forward_length", GgufValue.Of((uint)spec.FeedForwardLength));
        writer.AddMetadata("llama.attention.head_count", GgufValue.Of((uint)spec.HeadCount));
        writer.AddMetadata("llama.attention.head_count_kv", GgufValue.Of((uint)spec.KvHeadCount));
        writer.AddMetadata("llama.rope.dimension_count", GgufValue.Of((uint)spec.HeadSize));
        writer.AddMetadata("llama.rope.freq_base", GgufValue.Of(RopeFrequencyBase));
        writer.AddMetadata("llama.attention.layer_norm_rms_epsilon", GgufValue.Of(RmsNormEpsilon));
    }

    /// <summary>
    /// The llama tensor set, shapes in ggml order (input dimension first). Matrices are scaled by 1/sqrt(fan-in) so
    /// each layer keeps activations near unit size; the embedding is unit-normal (RMS norm follows it anyway).
    /// </summary>
    private static void AddTensors(GgufWriter writer, SyntheticModelSpec spec, int vocabularySize)
    {
        ulong embd = (ulong)spec.EmbeddingLength, vocab = (ulong)vocabularySize, ff = (ulong)spec.FeedForwardLength;
        var kv = (ulong)(spec.HeadSize * spec.KvHeadCount);
        var type = spec.WeightType;

        void Matrix(string name, ulong input, ulong output, float scale) =>
            writer.AddTensor(name, type, [input, output], RandomFill(spec, name, scale));
        void Norm(string name) => writer.AddTensor(name, GgmlType.F32, [embd], static (_, values) => values.Fill(1f));
        float FanIn(ulong n) => 1f / MathF.Sqrt(n);

        Matrix("token_embd.weight", embd, vocab, 1f);
        for (var layer = 0; layer < spec.LayerCount; layer++)
        {
            var blk = $"blk.{layer}.";
            var damping = layer >= (spec.DampedFromLayer ?? int.MaxValue) ? spec.LayerDamping : 1f;
            Norm(blk + "attn_norm.weight");
            Matrix(blk + "attn_q.weight", embd, embd, FanIn(embd));
            Matrix(blk + "attn_k.weight", embd, kv, FanIn(embd));
            Matrix(blk + "attn_v.weight", embd, kv, FanIn(embd));
            Matrix(blk + "attn_output.weight", embd, embd, damping * FanIn(embd));
            Norm(blk + "ffn_norm.weight");
            Matrix(blk + "ffn_gate.weight", embd, ff, FanIn(embd));
            Matrix(blk + "ffn_up.weight", embd, ff, FanIn(embd));
            Matrix(blk + "ffn_down.weight", ff, embd, damping * FanIn(ff));
        }
        Norm("output_norm.weight");
        Matrix("output.weight", embd, vocab, OutputHeadGain * FanIn(embd));
    }

    /// <summary>scale * N(seed) per element, plus NoiseScale * scale * N(noise seed) for a draft.</summary>
    private static TensorFill RandomFill(SyntheticModelSpec spec, string tensorName, float scale)
    {
        var key = CounterRandom.StreamKey(spec.Seed, "weights", tensorName);
        if (spec.NoiseScale == 0)
        {
            return (first, values) =>
            {
                for (var i = 0; i < values.Length; i++) values[i] = scale * CounterRandom.Normal(key, first + i);
            };
        }

        var noiseKey = CounterRandom.StreamKey(spec.NoiseSeed!.Value, "noise", tensorName);
        var noiseScale = spec.NoiseScale * scale;
        return (first, values) =>
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = scale * CounterRandom.Normal(key, first + i) + noiseScale * CounterRandom.Normal(noiseKey, first + i);
            }
        };
    }

    /// <summary>The donor's tokenizer.ggml.* metadata with the FIM tokens appended, their role ids set, and EOS overridden if asked.</summary>
    private sealed record Tokenizer(
        List<KeyValuePair<string, GgufValue>> Metadata,
        string[] Tokens,
        int DonorVocabularySize,
        IReadOnlyDictionary<string, int> AddedTokenIds)
    {
        public static Tokenizer From(GgufFile donor, FimTokenTexts? fim, int? eosTokenId, int? newlineTokenId)
        {
            var tokenizer = WithFimTokens(donor, fim);
            if (newlineTokenId is { } newline)
            {
                if (newline >= tokenizer.Tokens.Length)
                    throw new ArgumentException($"NewlineTokenId {newline} is outside the vocabulary of {tokenizer.Tokens.Length} tokens.");
                var renamed = (string[])tokenizer.Tokens.Clone();
                renamed[newline] = NewlineTokenText;
                Set(tokenizer.Metadata, TokensKey, GgufValue.Array(renamed));
                tokenizer = tokenizer with { Tokens = renamed };
            }
            if (eosTokenId is { } eos)
            {
                if (eos >= tokenizer.Tokens.Length)
                    throw new ArgumentException($"EosTokenId {eos} is outside the vocabulary of {tokenizer.Tokens.Length} tokens.");
                Set(tokenizer.Metadata, EosKey, GgufValue.Of((uint)eos));
            }
            return tokenizer;
        }

        private static Tokenizer WithFimTokens(GgufFile donor, FimTokenTexts? fim)
        {
            var metadata = donor.Metadata.Where(kv => kv.Key.StartsWith(TokenizerPrefix, StringComparison.Ordinal)).ToList();
            if (!donor.TryGet(TokensKey, out var tokensValue))
                throw new InvalidDataException($"The donor GGUF has no {TokensKey}; it cannot lend a tokenizer.");

            var donorTokens = tokensValue.AsArray<string>();
            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            if (fim is null)
                return new Tokenizer(metadata, donorTokens, donorTokens.Length, added);

            var tokens = new List<string>(donorTokens);
            var scores = donor.TryGet(ScoresKey, out var s) ? [.. s.AsArray<float>()] : new float[tokens.Count].ToList();
            var types = donor.TryGet(TokenTypesKey, out var t) ? TokenTypes(t) : Enumerable.Repeat(NormalTokenType, tokens.Count).ToList();
            var existing = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < donorTokens.Length; i++) existing.TryAdd(donorTokens[i], i);

            foreach (var (text, key) in fim.Added)
            {
                // llama.cpp asserts that token texts are unique, so a text the donor already has is reused, not repeated.
                if (!existing.TryGetValue(text, out var id))
                {
                    id = tokens.Count;
                    tokens.Add(text);
                    scores.Add(0f);
                    types.Add(ControlTokenType);
                    existing.Add(text, id);
                }
                types[id] = ControlTokenType;
                added[text] = id;
                Set(metadata, key, GgufValue.Of((uint)id));
            }

            var tokenArray = tokens.ToArray();
            Set(metadata, TokensKey, GgufValue.Array(tokenArray));
            Set(metadata, ScoresKey, GgufValue.Array(scores.ToArray()));
            Set(metadata, TokenTypesKey, GgufValue.Array(types.ToArray()));
            return new Tokenizer(metadata, tokenArray, donorTokens.Length, added);
        }

        private static List<int> TokenTypes(GgufValue value) => value.ElementType == GgufValueType.Int32
            ? [.. value.AsArray<int>()]
            : [.. ((Array)value.Value).Cast<object>().Select(o => Convert.ToInt32(o, CultureInfo.InvariantCulture))];

        /// <summary>Replaces a key in place (keeping the donor's order) or appends it.</summary>
        private static void Set(List<KeyValuePair<string, GgufValue>> metadata, string key, GgufValue value)
        {
            var index = metadata.FindIndex(kv => kv.Key == key);
            if (index >= 0) metadata[index] = new(key, value);
            else metadata.Add(new(key, value));
        }
    }
}
