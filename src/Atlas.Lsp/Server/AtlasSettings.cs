using System.Text.Json;
using Atlas.Completion;
using Atlas.Completion.Pacing;
using Atlas.Completion.Filters;
using Atlas.Context.Budget;
using Atlas.Engine;
using Atlas.Engine.Loading;

namespace Atlas.Lsp.Server;

/// <summary>
/// The `atlas` settings section, as editors send it in initializationOptions and workspace/didChangeConfiguration.
/// Every setting has its default here; unknown keys are ignored, and a bad value is reported and ignored.
/// </summary>
public sealed record AtlasSettings
{
    /// <summary>Path to the GGUF model (setting atlas.model).</summary>
    public string? Model { get; init; }
    /// <summary>Path to a draft model for speculative decoding (atlas.draftModel).</summary>
    public string? DraftModel { get; init; }
    /// <summary>Most tokens the draft proposes per target pass (atlas.draftMax).</summary>
    public int DraftMax { get; init; } = new EngineSettings { ModelPath = "" }.DraftMax;
    /// <summary>The draft stops below this top probability (atlas.draftPMin).</summary>
    public float DraftPMin { get; init; } = new EngineSettings { ModelPath = "" }.DraftMinProbability;
    /// <summary>Fewest drafted tokens worth a batched verification (atlas.draftMin).</summary>
    public int DraftMin { get; init; } = new EngineSettings { ModelPath = "" }.DraftMin;
    /// <summary>Adapt the draft length to how well the draft agrees (atlas.draftAdaptive).</summary>
    public bool DraftAdaptive { get; init; } = new EngineSettings { ModelPath = "" }.DraftAdaptive;
    /// <summary>CPU threads for the draft model (atlas.draftThreads).</summary>
    public int DraftThreads { get; init; } = new EngineSettings { ModelPath = "" }.DraftThreads;
    /// <summary>Draft only where measured costs and acceptance say it pays (atlas.draftCostCheck).</summary>
    public bool DraftCostCheck { get; init; } = new EngineSettings { ModelPath = "" }.DraftCostCheck;
    public int ContextSize { get; init; } = EngineSettings.DefaultContextSize;
    public string KvCacheType { get; init; } = "q8_0";
    public int MaxTokens { get; init; } = CompletionRequest.DefaultMaxTokens;
    public int TimeBudgetMs { get; init; } = (int)CompletionRequest.DefaultTimeBudget.TotalMilliseconds;
    /// <summary>auto, single or multi.</summary>
    public string CompletionMode { get; init; } = "auto";
    /// <summary>
    /// Which filters trim multi-line suggestions (atlas.multiLineFilters, advanced: for measuring them one by one):
    /// default, all, none, or a list of scope, repetition and closer.
    /// </summary>
    public MultiLineFilters MultiLineFilters { get; init; } = MultiLineFilterSet.Default;
    public int GpuLayers { get; init; }
    public int? Threads { get; init; }
    /// <summary>CPU threads for prompt evaluation (atlas.batchThreads; null: as the engine decides).</summary>
    public int? BatchThreads { get; init; }
    /// <summary>Completions on or off (the editor's toggle).</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>How long an automatic request waits for the next keystroke (atlas.debounce: "adaptive", or ms; 0 never waits).</summary>
    public Debounce Debounce { get; init; } = Debounce.Adaptive;
    /// <summary>Make the suggestion after a shown one ahead, so accepting it is followed at once by the next (atlas.precomputeNext).</summary>
    public bool PrecomputeNext { get; init; } = true;
    /// <summary>Median completion latency over the recent requests above which the user is told, once (atlas.slowLatencyMs).</summary>
    public int SlowLatencyMs { get; init; } = (int)CompletionOptions.DefaultSlowLatencyMs;
    /// <summary>
    /// Suggestions an explicit request (the editor's "trigger inline suggestion") returns at most (atlas.candidates;
    /// 1: one, as automatic requests always get).
    /// </summary>
    public int Candidates { get; init; } = 3;
    /// <summary>Most candidates a setting may ask for: each is a generation the user waits for.</summary>
    public const int MostCandidates = 10;
    /// <summary>Fix candidates tried before giving up (atlas.fixCandidates).</summary>
    public int FixCandidates { get; init; } = 3;
    /// <summary>
    /// How the prompt's token budget (the context window less maxTokens) is split between the code before the cursor,
    /// the code after it and the repository context (atlas.prefixShare, atlas.suffixShare, atlas.contextShare).
    /// </summary>
    public ContextBudget Budget { get; init; } = new();

    /// <summary>
    /// Reads settings from JSON: either the section itself or an object holding it under "atlas".
    /// Returns the settings and the problems found (each names the setting).
    /// </summary>
    public static (AtlasSettings Settings, IReadOnlyList<string> Problems) From(JsonElement? json, AtlasSettings? current = null)
    {
        var settings = current ?? new AtlasSettings();
        var problems = new List<string>();
        if (json is not { ValueKind: JsonValueKind.Object } root) return (settings, problems);
        var section = root.TryGetProperty("atlas", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        foreach (var property in section.EnumerateObject())
        {
            try
            {
                settings = property.Name switch
                {
                    "model" => settings with { Model = NullableString(property.Value) },
                    "draftModel" => settings with { DraftModel = NullableString(property.Value) },
                    "contextSize" => settings with { ContextSize = Positive(property.Value) },
                    "draftMax" => settings with { DraftMax = Positive(property.Value) },
                    "draftPMin" => settings with { DraftPMin = Probability(property.Value) },
                    "draftMin" => settings with { DraftMin = property.Value.GetInt32() is >= 0 and var n ? n : throw new ArgumentException("must not be negative") },
                    "draftAdaptive" => settings with { DraftAdaptive = property.Value.GetBoolean() },
                    "draftThreads" => settings with { DraftThreads = ThreadCount(property.Value) },
                    "draftCostCheck" => settings with { DraftCostCheck = property.Value.GetBoolean() },
                    "kvCacheType" => settings with { KvCacheType = KvCachePlan.Name(KvCachePlan.Parse(property.Value.GetString() ?? "")) },
                    "maxTokens" => settings with { MaxTokens = Positive(property.Value) },
                    "timeBudgetMs" => settings with { TimeBudgetMs = Positive(property.Value) },
                    "completionMode" => settings with { CompletionMode = Mode(property.Value) },
                    "multiLineFilters" => settings with { MultiLineFilters = MultiLineFilterSet.Parse(property.Value.GetString()) },
                    "gpuLayers" => settings with { GpuLayers = property.Value.GetInt32() },
                    "threads" => settings with { Threads = property.Value.ValueKind == JsonValueKind.Null ? null : ThreadCount(property.Value) },
                    "batchThreads" => settings with { BatchThreads = property.Value.ValueKind == JsonValueKind.Null ? null : ThreadCount(property.Value) },
                    "enabled" => settings with { Enabled = property.Value.GetBoolean() },
                    "candidates" => settings with { Candidates = CandidateCount(property.Value.GetInt32()) },
                    "fixCandidates" => settings with { FixCandidates = Positive(property.Value) },
                    "debounce" => settings with { Debounce = property.Value.ValueKind == JsonValueKind.Number ? Debounce.FromMs(property.Value.GetInt32()) : Debounce.Parse(property.Value.GetString() ?? "") },
                    "precomputeNext" => settings with { PrecomputeNext = property.Value.GetBoolean() },
                    "slowLatencyMs" => settings with { SlowLatencyMs = Positive(property.Value) },
                    "prefixShare" => settings with { Budget = settings.Budget with { PrefixShare = Share(property.Value, mayBeZero: false) } },
                    "suffixShare" => settings with { Budget = settings.Budget with { SuffixShare = Share(property.Value, mayBeZero: true) } },
                    "contextShare" => settings with { Budget = settings.Budget with { ContextShare = Share(property.Value, mayBeZero: true) } },
                    _ => settings,
                };
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
            {
                problems.Add($"atlas.{property.Name}: {e.Message}");
            }
        }
        var split = settings.Budget;
        if (split.PrefixShare + split.SuffixShare + split.ContextShare > 1.0001)
        {
            problems.Add($"atlas.prefixShare + atlas.suffixShare + atlas.contextShare: must add up to at most 1, not {split.PrefixShare + split.SuffixShare + split.ContextShare:0.##}");
            settings = settings with { Budget = (current ?? new AtlasSettings()).Budget };
        }
        return (settings, problems);
    }

    /// <summary>
    /// These settings held to what the loaded model allows, and the problem to tell the user when they were not:
    /// maxTokens leaves at least half of the context window to the prompt (at or above the window, the prompt's
    /// budget went negative and every completion failed).
    /// </summary>
    public (AtlasSettings Settings, string? Problem) FitTo(int contextSize)
    {
        var most = Math.Max(1, contextSize / 2);
        return MaxTokens <= most
            ? (this, null)
            : (this with { MaxTokens = most }, $"atlas.maxTokens: {MaxTokens} leaves no room for the prompt in this model's {contextSize}-token context; using {most}");
    }

    public LineMode LineMode => LineModes.Parse(CompletionMode);

    /// <summary>The engine settings these settings load, or null when no model is configured.</summary>
    public EngineSettings? Engine => string.IsNullOrWhiteSpace(Model) ? null : new EngineSettings
    {
        ModelPath = Model,
        DraftModelPath = string.IsNullOrWhiteSpace(DraftModel) ? null : DraftModel,
        DraftMax = DraftMax,
        DraftMinProbability = DraftPMin,
        DraftMin = DraftMin,
        DraftAdaptive = DraftAdaptive,
        DraftThreads = DraftThreads,
        DraftCostCheck = DraftCostCheck,
        ContextSize = ContextSize,
        KvCache = KvCachePlan.Parse(KvCacheType),
        GpuLayers = GpuLayers,
        Threads = Threads,
        BatchThreads = BatchThreads,
    };

    public CompletionOptions Completion => new()
    {
        Mode = LineMode, MaxTokens = MaxTokens, TimeBudget = TimeSpan.FromMilliseconds(TimeBudgetMs), Debounce = Debounce, SlowLatencyMs = SlowLatencyMs, Filters = MultiLineFilters,
    };

    private static string? NullableString(JsonElement value) => value.ValueKind == JsonValueKind.Null ? null : value.GetString();

    private static int Positive(JsonElement value) => Positive(value.GetInt32());

    /// <summary>The rule for counts (tokens, a context size, candidates); the command line's options keep it too.</summary>
    public static int Positive(int n) => n > 0 ? n : throw new ArgumentException($"must be positive, not {n}");

    /// <summary>
    /// Most CPU threads a setting may ask for: more than the machine's logical processors only slows llama.cpp down,
    /// and a million made it abort the process (std::bad_alloc).
    /// </summary>
    private static int MostThreads => Math.Max(4, 4 * Environment.ProcessorCount);

    private static int ThreadCount(JsonElement value) => ThreadCount(value.GetInt32());

    /// <summary>The rule for thread counts, here and on the command line.</summary>
    public static int ThreadCount(int n)
    {
        Positive(n);
        return n <= MostThreads ? n : throw new ArgumentException($"must be at most {MostThreads} (this machine has {Environment.ProcessorCount} logical processors), not {n}");
    }

    /// <summary>The rule for atlas.candidates, here and on the command line.</summary>
    public static int CandidateCount(int n)
    {
        Positive(n);
        return n <= MostCandidates ? n : throw new ArgumentException($"must be at most {MostCandidates} (each candidate is a generation the user waits for), not {n}");
    }

    private static float Probability(JsonElement value) => Probability(value.GetSingle());

    /// <summary>The rule for probabilities, here and on the command line.</summary>
    public static float Probability(float p) => p is >= 0 and <= 1 ? p : throw new ArgumentException($"must be between 0 and 1, not {p}");

    /// <summary>
    /// A share of the prompt budget. The code before the cursor always needs some; the suffix and the repository
    /// context may have none (contextShare 0: prompts from the file alone, as `bench quality` compares).
    /// </summary>
    private static double Share(JsonElement value, bool mayBeZero)
    {
        var share = value.GetDouble();
        if (share is > 0 and <= 1 || mayBeZero && share == 0) return share;
        throw new ArgumentException(mayBeZero ? $"must be a fraction from 0 to 1, not {share}" : $"must be a fraction above 0 and at most 1, not {share}");
    }

    private static string Mode(JsonElement value)
    {
        var text = value.GetString() ?? "auto";
        LineModes.Parse(text);
        return text;
    }
}
