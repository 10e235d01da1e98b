namespace Atlas.Lsp.Tests;

/// <summary>
/// The server takes a catalog name wherever it takes a model path (atlas.model, atlas.draftModel), and offers to
/// download one that is not on disk yet.
/// </summary>
public sealed class ModelNameTests : IDisposable
{
    private const string Uri = "file:///work/Demo.java";
    private const string Code = "class Demo\n{\n    int Twice(int value)\n    {\n        return \n    }\n}\n";
    private readonly string _cache = Directory.CreateTempSubdirectory("atlas-lsp-models-").FullName;

    [Fact]
    public async Task A_pulled_catalog_name_loads_as_model_and_draft_and_a_missing_one_says_how_to_pull_it()
    {
        // The tiny model stands in, at the cache path `models pull qwen2.5-coder-0.5b` writes (a link, not a copy).
        var pulled = Path.Combine(_cache, "ggml-org--Qwen2.5-Coder-0.5B-Q8_0-GGUF", "qwen2.5-coder-0.5b-q8_0.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(pulled)!);
        File.CreateSymbolicLink(pulled, LspClient.TinyModel);
        var environment = new Dictionary<string, string> { ["ATLAS_MODELS_DIR"] = _cache, ["HF_HUB_CACHE"] = Path.Combine(_cache, "no-hf-cache") };

        await using var client = LspClient.Start(environment);
        await client.InitializeAsync(new { model = "qwen2.5-coder-0.5b", draftModel = "qwen2.5-coder-0.5b", maxTokens = 8 });
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.StartsWith("Loaded LLaMA v2") == true, "the model loaded by name");
        await client.OpenAsync(Uri, Code, "java");
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 } });
        Assert.Single(answer["result"]!["items"]!.AsArray());
        Assert.Contains(pulled, client.Stderr);
        Assert.DoesNotContain("not used", client.Stderr); // the draft, named the same way, was taken

        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { atlas = new { model = "qwen2.5-coder-7b" } } });
        var problem = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessage" && ((string?)n["params"]?["message"])?.Contains("qwen2.5-coder-7b") == true, "the missing model reported");
        Assert.Contains("atlas-lsp models pull qwen2.5-coder-7b", (string)problem["params"]!["message"]!);
        Assert.True((await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 } })).ContainsKey("result"));
    }

    [Fact]
    public async Task A_catalog_name_not_downloaded_yet_is_offered_for_download_and_loads_once_the_user_agrees()
    {
        using var hub = new Atlas.Models.Tests.FakeHub(await File.ReadAllBytesAsync(LspClient.TinyModel), "ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF", "qwen2.5-coder-0.5b-q8_0.gguf");
        var environment = new Dictionary<string, string> { ["ATLAS_MODELS_DIR"] = _cache, ["HF_HUB_CACHE"] = Path.Combine(_cache, "no-hf-cache"), ["HF_ENDPOINT"] = hub.Endpoint };

        await using var client = LspClient.Start(environment);
        client.Answer = request => (string?)request["method"] == "window/showMessageRequest" ? new { title = "Download" } : null;
        await client.InitializeAsync(new { model = "qwen2.5-coder-0.5b", maxTokens = 8 }, capabilities: new { window = new { workDoneProgress = true } });

        var offer = await client.WaitForAsync(n => (string?)n["method"] == "window/showMessageRequest", "the download offer");
        Assert.Contains("qwen2.5-coder-0.5b", (string)offer["params"]!["message"]!);
        Assert.Contains("Download", offer["params"]!["actions"]!.AsArray().Select(a => (string)a!["title"]!));
        await client.WaitForAsync(n => ((string?)n["params"]?["message"])?.StartsWith("Loaded LLaMA v2") == true, "the downloaded model loaded");

        var pulled = Path.Combine(_cache, "ggml-org--Qwen2.5-Coder-0.5B-Q8_0-GGUF", "qwen2.5-coder-0.5b-q8_0.gguf");
        Assert.Equal(hub.Payload, await File.ReadAllBytesAsync(pulled));
        Assert.Contains(client.Notifications, n => (string?)n["method"] == "$/progress" && (string?)n["params"]?["value"]?["title"] == "Downloading qwen2.5-coder-0.5b");
        await client.OpenAsync(Uri, Code, "java");
        var answer = await client.RequestAsync("textDocument/inlineCompletion", new { textDocument = new { uri = Uri }, position = new { line = 4, character = 15 } });
        Assert.Single(answer["result"]!["items"]!.AsArray());
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);
}
