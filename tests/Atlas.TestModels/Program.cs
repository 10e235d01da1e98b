using System.Diagnostics;
using System.Globalization;
using Atlas.TestModels.Gguf;

namespace Atlas.TestModels;

/// <summary>
/// Writes one synthetic model from the command line, so benchmarks can make a model of realistic shape:
/// <c>dotnet run --project tests/Atlas.TestModels -- --out model.gguf --embd 768 --heads 12 --layers 12 --ff 3072</c>.
/// stdout gets the path on the first line and the size on the second, for scripts; errors go to stderr.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: Atlas.TestModels --out PATH [options]
          --out PATH          where to write the GGUF (overwritten)
          --embd N            embedding length (default 256)
          --heads N           attention heads (default 4; head size = embd / heads)
          --kv-heads N        KV heads for grouped-query attention (default = heads)
          --layers N          transformer blocks (default 2)
          --ff N              feed-forward length (default 512)
          --ctx N             claimed training context (default 32768)
          --seed N            weight seed (default 1)
          --fim FAMILY        none|qwen|starcoder|codellama|deepseek|codestral (default none)
          --noise-seed N      make a draft: the --seed model plus noise drawn from this seed...
          --noise-scale F     ...scaled by F relative to each weight's scale (0 = identical)
          --weights TYPE      f16|f32|q8_0 (default f16; q8_0 is what real models ship as, and fast on CPU)
          --eos ID            make token ID the end-of-sequence token (default: the donor's)
          --damp-from N       layers from N on write a damped share into the residual stream...
          --damping F         ...scaled by F (a model with --layers N and the same seed is then its draft)
          --donor PATH        GGUF to copy the tokenizer from (default shared/models/llama-2-tiny-random.gguf)
        """;

    public static int Main(string[] args)
    {
        try
        {
            var (spec, output) = Parse(args);
            if (output is null)
            {
                Console.Error.WriteLine(Usage);
                return 2;
            }
            var timer = Stopwatch.StartNew();
            var file = SyntheticModel.Write(spec, output);
            Console.WriteLine(file.Path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{file.Bytes} bytes ({file.Bytes / 1048576.0:F1} MiB), vocabulary {file.VocabularySize}, written in {timer.Elapsed.TotalSeconds:F2} s"));
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static (SyntheticModelSpec Spec, string? Output) Parse(string[] args)
    {
        var spec = new SyntheticModelSpec();
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") return (spec, null);
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value.");
            var value = args[++i];
            spec = name switch
            {
                "--out" => spec,
                "--embd" => spec with { EmbeddingLength = Int(name, value) },
                "--heads" => spec with { HeadCount = Int(name, value) },
                "--kv-heads" => spec with { KvHeadCount = Int(name, value) },
                "--layers" => spec with { LayerCount = Int(name, value) },
                "--ff" => spec with { FeedForwardLength = Int(name, value) },
                "--ctx" => spec with { ContextLength = Int(name, value) },
                "--seed" => spec with { Seed = Int(name, value) },
                "--fim" => spec with { Fim = Enum.Parse<FimTokens>(value, ignoreCase: true) },
                "--noise-seed" => spec with { NoiseSeed = Int(name, value) },
                "--noise-scale" => spec with { NoiseScale = float.Parse(value, CultureInfo.InvariantCulture) },
                "--weights" => spec with { WeightType = Enum.Parse<GgmlType>(value, ignoreCase: true) },
                "--eos" => spec with { EosTokenId = Int(name, value) },
                "--damp-from" => spec with { DampedFromLayer = Int(name, value) },
                "--damping" => spec with { LayerDamping = float.Parse(value, CultureInfo.InvariantCulture) },
                "--donor" => spec with { DonorPath = value },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
            if (name == "--out") output = value;
        }
        return (spec, output);
    }

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"{name} needs an integer, not '{value}'.");
}
