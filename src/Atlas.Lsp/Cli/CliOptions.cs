using System.CommandLine;
using Atlas.Engine;
using Atlas.Engine.Loading;

namespace Atlas.Lsp.Cli;

/// <summary>The engine options every command that loads a model shares, named once.</summary>
internal sealed class EngineOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Path to a GGUF model file.", Required = true };
    public Option<int> ContextSize { get; } = new("--ctx-size") { Description = "Context window in tokens.", DefaultValueFactory = _ => EngineSettings.DefaultContextSize };
    public Option<string> KvCache { get; } = new("--kv-cache") { Description = "KV cache type: q8_0, f16 or q4_0.", DefaultValueFactory = _ => "q8_0" };
    public Option<int?> Threads { get; } = new("--threads") { Description = "CPU threads (default: llama.cpp's choice)." };
    public Option<int> GpuLayers { get; } = new("--gpu-layers") { Description = "Layers to offload to a GPU backend." };
    public Option<string?> Draft { get; } = new("--draft") { Description = "Path to a draft GGUF model of the same family, for speculative decoding." };
    public Option<int> DraftMax { get; } = new("--draft-max") { Description = "Most tokens drafted per target pass.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftMax };

    public Option<float> DraftPMin { get; } = new("--draft-p-min") { Description = "The draft stops proposing below this top probability.", DefaultValueFactory = _ => new EngineSettings { ModelPath = "" }.DraftMinProbability };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(ContextSize);
        command.Options.Add(KvCache);
        command.Options.Add(Threads);
        command.Options.Add(GpuLayers);
        command.Options.Add(Draft);
        command.Options.Add(DraftMax);
        command.Options.Add(DraftPMin);
    }

    public EngineSettings Read(ParseResult result) => new()
    {
        ModelPath = result.GetValue(Model)!,
        ContextSize = result.GetValue(ContextSize),
        KvCache = KvCachePlan.Parse(result.GetValue(KvCache)!),
        Threads = result.GetValue(Threads),
        GpuLayers = result.GetValue(GpuLayers),
        DraftModelPath = result.GetValue(Draft),
        DraftMax = result.GetValue(DraftMax),
        DraftMinProbability = result.GetValue(DraftPMin),
    };
}
