using Atlas.Engine.Prompting;
using Atlas.TestModels;

namespace Atlas.Engine.Tests;

/// <summary>Each model family gets its own FIM format, detected from the vocabulary, spelled exactly.</summary>
public sealed class FimFormatTests
{
    private const string Prefix = "def add(a, b):\n    ";
    private const string Suffix = "\n\nprint(add(1, 2))\n";

    [Theory]
    [InlineData(FimTokens.Qwen, FimFamily.Qwen, "<|fim_prefix|>" + Prefix + "<|fim_suffix|>" + Suffix + "<|fim_middle|>")]
    [InlineData(FimTokens.StarCoder, FimFamily.StarCoder, "<fim_prefix>" + Prefix + "<fim_suffix>" + Suffix + "<fim_middle>")]
    [InlineData(FimTokens.CodeLlama, FimFamily.CodeLlama, "<PRE>" + Prefix + "<SUF>" + Suffix + "<MID>")]
    [InlineData(FimTokens.DeepSeek, FimFamily.DeepSeek, "<｜fim▁begin｜>" + Prefix + "<｜fim▁hole｜>" + Suffix + "<｜fim▁end｜>")]
    [InlineData(FimTokens.Codestral, FimFamily.Codestral, "[SUFFIX]" + Suffix + "[PREFIX]" + Prefix)]
    public async Task Family_is_detected_and_its_prompt_spelled_exactly(FimTokens tokens, FimFamily family, string expected)
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(tokens));
        var prompt = engine.BuildPrompt(new CompletionRequest { Prefix = Prefix, Suffix = Suffix });

        Assert.Equal(family, engine.Info.Family);
        Assert.Equal(expected, prompt.Rendered);
        Assert.False(prompt.Truncated);
    }

    [Theory]
    [InlineData(FimTokens.Qwen)]
    [InlineData(FimTokens.StarCoder)]
    [InlineData(FimTokens.CodeLlama)]
    [InlineData(FimTokens.DeepSeek)]
    [InlineData(FimTokens.Codestral)]
    public async Task Token_sequence_is_markers_around_the_plainly_tokenized_pieces(FimTokens tokens)
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(tokens));
        var model = engine.Model;
        var prompt = engine.BuildPrompt(new CompletionRequest { Prefix = Prefix, Suffix = Suffix });

        var expected = new List<int>();
        if (model.Bos is { } bos) expected.Add(bos);
        foreach (var piece in model.Template.Layout)
        {
            expected.AddRange(piece.Slot switch
            {
                FimTemplate.Slot.Prefix => model.Tokenize(Prefix).Select(t => (int)t),
                FimTemplate.Slot.Suffix => model.Tokenize(Suffix).Select(t => (int)t),
                _ => [model.SpecialToken(piece.Marker!)!.Value],
            });
        }
        Assert.Equal(expected, prompt.Tokens);
    }

    [Fact]
    public async Task Marker_text_typed_in_user_code_stays_plain_text()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(FimTokens.Qwen));
        var marker = engine.Model.SpecialToken("<|fim_middle|>")!.Value;
        var prompt = engine.BuildPrompt(new CompletionRequest { Prefix = "var s = \"<|fim_middle|>\";", Suffix = "" });

        // Only the layout's own middle marker, at the very end; the one in the string literal is ordinary text.
        Assert.Equal(1, prompt.Tokens.Count(t => t == marker));
        Assert.Equal(marker, prompt.Tokens[^1]);
    }

    [Fact]
    public async Task A_model_without_fim_tokens_gets_plain_prefix_completion()
    {
        using var engine = await Models.LoadAsync(Models.Tiny);
        var prompt = engine.BuildPrompt(new CompletionRequest { Prefix = Prefix, Suffix = Suffix });

        Assert.Equal(FimFamily.None, engine.Info.Family);
        Assert.Equal(Prefix, prompt.Rendered);
        Assert.Equal(1, prompt.Tokens[0]); // Llama-2's BOS
        Assert.Equal(engine.Model.Tokenize(Prefix).Select(t => (int)t), prompt.Tokens.Skip(1));
    }

    [Fact]
    public async Task Repository_context_uses_qwens_repository_format()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(FimTokens.Qwen));
        var prompt = engine.BuildPrompt(new CompletionRequest
        {
            Prefix = Prefix, Suffix = Suffix, FilePath = "src/main.py", RepositoryName = "demo",
            Context = [new ContextFile("src/util.py", "def helper(): ...")],
        });
        Assert.Equal("<|repo_name|>demo\n<|file_sep|>src/util.py\ndef helper(): ...\n<|file_sep|>src/main.py\n<|fim_prefix|>" + Prefix + "<|fim_suffix|>" + Suffix + "<|fim_middle|>", prompt.Rendered);
        Assert.Equal(1, prompt.ContextFiles);
    }

    [Fact]
    public async Task Without_repository_markers_context_becomes_commented_sections_before_the_prefix()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(FimTokens.CodeLlama));
        var prompt = engine.BuildPrompt(new CompletionRequest
        {
            Prefix = Prefix, Suffix = Suffix, CommentMarker = "#",
            Context = [new ContextFile("util.py", "def helper():\n    return 1")],
        });
        Assert.Equal("<PRE># Path: util.py\n# def helper():\n#     return 1\n" + Prefix + "<SUF>" + Suffix + "<MID>", prompt.Rendered);
    }

    [Fact]
    public async Task Context_is_dropped_least_relevant_first_when_the_prompt_does_not_fit()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(FimTokens.Qwen), contextSize: 256);
        var big = string.Concat(Enumerable.Repeat("int value = compute(1) + offset;\n", 40));
        var prompt = engine.BuildPrompt(new CompletionRequest
        {
            Prefix = Prefix, Suffix = Suffix, MaxTokens = 16,
            Context = [new ContextFile("first.cs", "class First {}"), new ContextFile("big.cs", big), new ContextFile("third.cs", big)],
        });
        Assert.Equal(1, prompt.ContextFiles);
        Assert.Contains("first.cs", prompt.Rendered);
        Assert.DoesNotContain("big.cs", prompt.Rendered);
        Assert.True(prompt.Truncated);
        Assert.EndsWith(Prefix + "<|fim_suffix|>" + Suffix + "<|fim_middle|>", prompt.Rendered);
    }

    [Fact]
    public async Task Family_stop_markers_end_generation()
    {
        using var engine = await Models.LoadAsync(Models.Synthetic(FimTokens.Qwen));
        foreach (var marker in new[] { "<|endoftext|>", "<|fim_pad|>", "<|file_sep|>" })
            Assert.Contains(engine.Model.SpecialToken(marker)!.Value, engine.Model.StopTokenIds);
    }
}
