using System.CommandLine;
using Atlas.Engine;
using Atlas.Engine.Loading;
using Atlas.Lsp.Server;

namespace Atlas.Lsp.Cli;

/// <summary>The engine options every command that loads a model shares, named once.</summary>
internal sealed class EngineOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Path to a GGUF model file, or a catalog name (see `models list`).", Required = true };
    public Option<int> ContextSize { get; } = new("--ctx-size") { Description = "Context window in tokens.", DefaultValueFactory = _ => EngineSettings.DefaultContextSize };
    public Option<string> KvCache { get; } = new("--kv-cache") { Description = "KV cache type: q8_0, f16 or q4_0.", DefaultValueFactory = _ => "q8_0" };
    public Option<int?> Threads { get; } = new("--threads") { Description = $"CPU threads for generating (default here: {EngineSettings.DefaultThreads})." };
    public Option<int?> BatchThreads { get; } = new("--batch-threads") { Description = $"CPU threads for prompt evaluation (default here: --threads if given, else {EngineSettings.DefaultBatchThreads})." };
    public Option<int> GpuLayers { get; } = new("--gpu-layers") { Description = "Layers to offload to a GPU backend." };
    public Option<string?> Draft { get; } = new("--draft") { Description = "Path to a draft GGUF model of the same family, for speculative decoding." };
    public Option<int> DraftMax { get; } = new("--draft-max") { Description = "Most tokens drafted per target pass.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftMax };

    public Option<int> DraftMin { get; } = new("--draft-min") { Description = "Fewest drafted tokens worth a batched verification.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftMin };
    public Option<bool> DraftAdaptive { get; } = new("--draft-adaptive") { Description = "Shrink the draft after a rejection, grow it after full acceptance." };

    public Option<float> DraftPMin { get; } = new("--draft-p-min") { Description = "The draft stops proposing below this top probability.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftMinProbability };

    public Option<int> DraftThreads { get; } = new("--draft-threads") { Description = "CPU threads for the draft model.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftThreads };

    public Option<string> DraftKvCache { get; } = new("--draft-kv-cache") { Description = "The draft's KV cache type: f16 (without flash attention), q8_0 or q4_0.", DefaultValueFactory = _ => KvCachePlan.Name(new EngineSettings { ModelPath = "" }.DraftKvCache) };

    public Option<bool> DraftCostCheck { get; } = new("--draft-cost-check") { Description = "Draft only as far as measured costs and acceptance say it pays (false: draft every pass).", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftCostCheck };

    public Option<float> TieMargin { get; } = new("--tie-margin") { Description = "Greedy choices from a batch whose top two logits are closer than this are decided again from a single-token step.", DefaultValueFactory = _ => EngineSettings.DefaultTieMargin };

    /// <summary>A catalog name becomes the downloaded file's path; a name not yet pulled is a one-line error.</summary>
    private static string Resolve(string model)
    {
        try
        {
            return Atlas.Models.ModelReference.Resolve(model);
        }
        catch (FileNotFoundException e)
        {
            throw new UserError(e.Message);
        }
    }

    /// <summary>
    /// Values the server would refuse in its settings are refused here with the same words (threads 0 ran 30 times
    /// slower, a context of 0 failed deep in llama.cpp).
    /// </summary>
    public EngineOptions()
    {
        Rules.Keep(ContextSize, AtlasSettings.Positive);
        Rules.Keep(Threads, n => n is { } t ? AtlasSettings.ThreadCount(t) : 0);
        Rules.Keep(BatchThreads, n => n is { } t ? AtlasSettings.ThreadCount(t) : 0);
        Rules.Keep(DraftThreads, AtlasSettings.ThreadCount);
        Rules.Keep(DraftMax, AtlasSettings.Positive);
        Rules.Keep(DraftPMin, AtlasSettings.Probability);
        Rules.Keep(GpuLayers, n => n >= 0 ? n : throw new ArgumentException($"must not be negative, not {n}"));
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(ContextSize);
        command.Options.Add(KvCache);
        command.Options.Add(Threads);
        command.Options.Add(BatchThreads);
        command.Options.Add(GpuLayers);
        command.Options.Add(Draft);
        command.Options.Add(DraftMax);
        command.Options.Add(DraftPMin);
        command.Options.Add(DraftMin);
        command.Options.Add(DraftAdaptive);
        command.Options.Add(DraftThreads);
        command.Options.Add(DraftKvCache);
        command.Options.Add(DraftCostCheck);
        command.Options.Add(TieMargin);
    }

    public EngineSettings Read(ParseResult result) => new()
    {
        ModelPath = Resolve(result.GetValue(Model)!),
        ContextSize = result.GetValue(ContextSize),
        KvCache = KvCachePlan.Parse(result.GetValue(KvCache)!),
        Threads = result.GetValue(Threads),
        BatchThreads = result.GetValue(BatchThreads),
        GpuLayers = result.GetValue(GpuLayers),
        DraftModelPath = result.GetValue(Draft) is { } draft ? Resolve(draft) : null,
        DraftMax = result.GetValue(DraftMax),
        DraftMinProbability = result.GetValue(DraftPMin),
        DraftMin = result.GetValue(DraftMin),
        DraftAdaptive = result.GetValue(DraftAdaptive),
        DraftThreads = result.GetValue(DraftThreads),
        DraftKvCache = KvCachePlan.Parse(result.GetValue(DraftKvCache)!),
        DraftCostCheck = result.GetValue(DraftCostCheck),
        TieMargin = result.GetValue(TieMargin),
    };
}

/// <summary>A file and an LSP position in it, as the commands that work at a cursor take them.</summary>
internal sealed class PositionOptions
{
    public Option<FileInfo> File { get; } = new("--file") { Description = "The source file.", Required = true };
    public Option<int> Line { get; } = new("--line") { Description = "0-based line, as in LSP.", Required = true };
    public Option<int> Character { get; } = new("--character") { Description = "0-based UTF-16 character, as in LSP.", Required = true };

    public void AddTo(Command command)
    {
        command.Options.Add(File);
        command.Options.Add(Line);
        command.Options.Add(Character);
    }

    /// <summary>The file as a document and the cursor's offset in it; a missing file or a position outside it is a one-line error.</summary>
    public async Task<(Atlas.Documents.TextDocument Document, Atlas.Documents.TextPosition Position)> ReadAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var path = result.GetValue(File)!;
        if (!path.Exists) throw new UserError($"File not found: '{path.FullName}'.");
        var text = await System.IO.File.ReadAllTextAsync(path.FullName, cancellationToken);
        var document = new Atlas.Documents.TextDocument(new Uri(path.FullName).AbsoluteUri, Atlas.Documents.SourceLanguage.Of(path.FullName), 0, text);
        var position = new Atlas.Documents.TextPosition(result.GetValue(Line), result.GetValue(Character));
        if (!document.Contains(position)) throw new UserError($"Position {position} is outside '{path.Name}' ({document.LineCount} lines).");
        return (document, position);
    }
}

/// <summary>The settings' rules on command-line options: a value a rule refuses is a parse error naming the option.</summary>
internal static class Rules
{
    public static void Keep<T, TResult>(Option<T> option, Func<T, TResult> rule) => option.Validators.Add(result =>
    {
        try
        {
            rule(result.GetValueOrDefault<T>());
        }
        catch (ArgumentException e)
        {
            result.AddError($"{option.Name}: {e.Message}");
        }
    });
}
