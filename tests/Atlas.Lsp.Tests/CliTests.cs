using System.Text.Json.Nodes;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>The commands people run: complete prints a completion and its timings; bad input is one clear line.</summary>
public sealed class CliTests
{
    internal static Task<(int Code, string Out, string Err)> Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    private static Task<(int Code, string Out, string Err)> Run(Dictionary<string, string> environment, params string[] args) =>
        ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll"), .. args], LspClient.Patience, environment);

    private static string Sample()
    {
        var path = Path.Combine(Path.GetTempPath(), $"atlas-cli-{Guid.NewGuid():N}.cs");
        File.WriteAllText(path, "class A\n{\n    int F() => \n}\n");
        return path;
    }

    [Fact]
    public async Task Complete_json_prints_one_object_with_the_text_and_timings()
    {
        var (code, output, _) = await Run("complete", "--model", LspClient.TinyModel, "--file", Sample(), "--line", "2", "--character", "15", "--max-tokens", "8", "--json");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.NotNull((string?)json["text"]);
        Assert.Equal("None", (string)json["fimFamily"]!);
        Assert.True((int)json["timings"]!["tokensEvaluated"]! > 0);
        Assert.InRange((int)json["timings"]!["tokensGenerated"]!, 1, 8);
    }

    [Theory]
    [InlineData("/nowhere/model.gguf", "Model file not found")]
    [InlineData("SAMPLE", "Not a GGUF model file")]
    public async Task A_bad_model_is_one_clear_line_and_exit_code_1(string model, string expected)
    {
        var sample = Sample();
        var (code, _, error) = await Run("complete", "--model", model == "SAMPLE" ? sample : model, "--file", sample, "--line", "0", "--character", "0");
        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("atlas-lsp:"));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task A_position_outside_the_file_is_one_clear_line()
    {
        var (code, _, error) = await Run("complete", "--model", LspClient.TinyModel, "--file", Sample(), "--line", "40", "--character", "0");
        Assert.Equal(1, code);
        Assert.Contains("outside", error);
    }

    [Fact]
    public async Task Models_pull_downloads_a_catalog_model_from_the_hub_and_its_name_then_works_as_a_model()
    {
        var cache = Directory.CreateTempSubdirectory("atlas-cli-models-").FullName;
        using var hub = new Atlas.Models.Tests.FakeHub(await File.ReadAllBytesAsync(LspClient.TinyModel), "ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF", "qwen2.5-coder-0.5b-q8_0.gguf");
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint, ["ATLAS_MODELS_DIR"] = cache, ["HF_HUB_CACHE"] = Path.Combine(cache, "no-hf-cache") };

        var before = await Run(environment, "complete", "--model", "qwen2.5-coder-0.5b", "--file", Sample(), "--line", "0", "--character", "0");
        Assert.Equal(1, before.Code);
        Assert.Contains("atlas-lsp models pull qwen2.5-coder-0.5b", before.Err);

        var pull = await Run(environment, "models", "pull", "qwen2.5-coder-0.5b");
        Assert.Equal(0, pull.Code);
        var path = pull.Out.Trim();
        Assert.Equal(Path.Combine(cache, "ggml-org--Qwen2.5-Coder-0.5B-Q8_0-GGUF", "qwen2.5-coder-0.5b-q8_0.gguf"), path);
        Assert.Equal(hub.Payload, await File.ReadAllBytesAsync(path));
        Assert.Contains("MiB/s", pull.Err);

        var after = await Run(environment, "complete", "--model", "qwen2.5-coder-0.5b", "--file", Sample(), "--line", "2", "--character", "15", "--max-tokens", "4", "--json");
        Assert.Equal(0, after.Code);
        var list = await Run(environment, "models", "list");
        Assert.Contains(path, list.Out);
    }

    [Fact]
    public async Task Bench_speculative_on_the_trained_pair_gives_the_target_alone_output_on_real_cases()
    {
        // Real C# prompts from the shared cases through the shared loader: the bench exits 2 when any speculative output
        // differs from the target alone's, and prints where.
        var target = SharedModels.Find("atlas-csharp-target.gguf");
        var cases = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, "..", "eval", "csharp-nextline.jsonl"));
        var (code, output, error) = await Run("bench", "speculative", "--model", target, "--draft", SharedModels.Find("atlas-csharp-draft.gguf"),
            "--cases", cases, "--limit", "4", "--built-in", "false", "--runs", "1", "--tokens", "24", "--ctx-size", "512", "--draft-cost-check", "false");
        Assert.True(code == 0, output + error);
        Assert.Contains("identity, speculative: 4 of 4 outputs identical to the target alone", output);
        Assert.Contains("break-even acceptance", output);
    }

    [Fact]
    public async Task Models_list_keeps_its_columns_in_line_and_names_the_hugging_face_cache_only_when_it_exists()
    {
        var cache = Directory.CreateTempSubdirectory("atlas-list-").FullName;
        var hub = Path.Combine(cache, "hf-hub");
        var environment = new Dictionary<string, string> { ["ATLAS_MODELS_DIR"] = cache, ["HF_HUB_CACHE"] = hub };
        var missing = await Run(environment, "models", "list");
        Assert.Equal(0, missing.Code);
        Assert.DoesNotContain("Hugging Face", missing.Out);

        // Every row's repository column starts where its header does, the long gpu-24gb profile's target too.
        var lines = missing.Out.Split('\n');
        var models = lines.TakeWhile(l => l.Length > 0).ToList();
        var column = models[0].IndexOf("repository / file", StringComparison.Ordinal);
        Assert.All(models.Skip(1), l => Assert.True(l.IndexOf(" ggml-org/", StringComparison.Ordinal) + 1 is var at && (at == column || l.IndexOf(" lmstudio-community/", StringComparison.Ordinal) + 1 == column), l));
        var profiles = lines.SkipWhile(l => !l.StartsWith("profile", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0).ToList();
        var target = profiles[0].IndexOf("target", StringComparison.Ordinal);
        Assert.All(profiles.Skip(1), l => Assert.Equal(target, l.IndexOf("qwen2.5-coder-", StringComparison.Ordinal)));

        Directory.CreateDirectory(hub);
        Assert.Contains($"also found in the Hugging Face cache: {hub}", (await Run(environment, "models", "list")).Out);
    }

    [Theory]
    [InlineData("--threads", "0", "--threads: must be positive, not 0")]
    [InlineData("--ctx-size", "0", "--ctx-size: must be positive, not 0")]
    [InlineData("--max-tokens", "0", "--max-tokens: must be positive, not 0")]
    [InlineData("--threads", "100000", "--threads: must be at most")]
    [InlineData("--draft-p-min", "1.5", "--draft-p-min: must be between 0 and 1, not 1.5")]
    public async Task Complete_refuses_option_values_the_server_refuses_in_its_settings_with_the_same_words(string option, string value, string message)
    {
        var (code, _, error) = await Run("complete", "--model", SharedModels.Find(SharedModels.TinyLlama), "--file", Sample(), "--line", "0", "--character", "0", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
