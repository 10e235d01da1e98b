using System.Text.Json;
using Atlas.Lsp.Server;

namespace Atlas.Lsp.Tests;

/// <summary>The `atlas` settings section: values read, bad ones reported by name and ignored.</summary>
public sealed class SettingsTests
{
    private static (AtlasSettings Settings, IReadOnlyList<string> Problems) Read(string json, AtlasSettings? current = null) =>
        AtlasSettings.From(JsonDocument.Parse(json).RootElement, current);

    [Fact]
    public void The_section_is_read_nested_or_bare_and_unknown_keys_are_ignored()
    {
        var (nested, _) = Read("""{ "atlas": { "model": "m.gguf", "maxTokens": 64, "completionMode": "single", "someday": 1 } }""");
        var (bare, problems) = Read("""{ "model": "m.gguf", "maxTokens": 64, "completionMode": "single" }""");
        Assert.Equal(nested, bare);
        Assert.Empty(problems);
        Assert.Equal(("m.gguf", 64, Atlas.Completion.LineMode.SingleLine), (bare.Model, bare.MaxTokens, bare.LineMode));
    }

    [Fact]
    public void Budget_shares_are_read_and_a_split_over_the_whole_is_refused()
    {
        var (settings, problems) = Read("""{ "prefixShare": 0.6, "suffixShare": 0.2, "contextShare": 0.2 }""");
        Assert.Empty(problems);
        Assert.Equal((0.6, 0.2, 0.2), (settings.Budget.PrefixShare, settings.Budget.SuffixShare, settings.Budget.ContextShare));

        var (kept, overdrawn) = Read("""{ "prefixShare": 0.9, "contextShare": 0.5 }""", settings);
        Assert.Contains(overdrawn, p => p.Contains("add up to at most 1"));
        Assert.Equal(settings.Budget, kept.Budget);

        var (_, negative) = Read("""{ "suffixShare": -0.1 }""");
        Assert.Contains(negative, p => p.StartsWith("atlas.suffixShare:"));

        // No repository context (file-only prompts) is a setting; no code before the cursor is not.
        var (fileOnly, none) = Read("""{ "contextShare": 0 }""");
        Assert.Empty(none);
        Assert.Equal(0, fileOnly.Budget.ContextTokens);
        var (_, noPrefix) = Read("""{ "prefixShare": 0 }""");
        Assert.Contains(noPrefix, p => p.StartsWith("atlas.prefixShare:"));
    }

    [Fact]
    public void A_bad_value_is_reported_by_name_and_the_rest_still_applies()
    {
        var (settings, problems) = Read("""{ "maxTokens": "many", "kvCacheType": "q3", "timeBudgetMs": 900 }""");
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("atlas.maxTokens:"));
        Assert.Contains(problems, p => p.StartsWith("atlas.kvCacheType:"));
        Assert.Equal(900, settings.TimeBudgetMs);
        Assert.Equal(new AtlasSettings().MaxTokens, settings.MaxTokens);
    }

    [Fact]
    public void Multi_line_filters_are_chosen_by_name_and_reach_the_completion_options()
    {
        var (settings, problems) = Read("""{ "multiLineFilters": "scope,closer" }""");
        Assert.Empty(problems);
        Assert.Equal(Atlas.Completion.Filters.MultiLineFilters.IndentationScope | Atlas.Completion.Filters.MultiLineFilters.SuffixCloser, settings.Completion.Filters);
        Assert.Equal(Atlas.Completion.Filters.MultiLineFilterSet.Default, new AtlasSettings().Completion.Filters);

        var (kept, bad) = Read("""{ "multiLineFilters": "sideways" }""", settings);
        Assert.Contains(bad, p => p.StartsWith("atlas.multiLineFilters:"));
        Assert.Equal(settings.MultiLineFilters, kept.MultiLineFilters);
    }

    [Fact]
    public void Candidates_default_to_three_and_an_absurd_count_is_refused_with_the_reason()
    {
        Assert.Equal(3, new AtlasSettings().Candidates);
        var (one, none) = Read("""{ "candidates": 1 }""");
        Assert.Empty(none);
        Assert.Equal(1, one.Candidates);
        var (kept, problems) = Read("""{ "candidates": 500 }""", one);
        Assert.Contains(problems, p => p.StartsWith("atlas.candidates:") && p.Contains($"at most {AtlasSettings.MostCandidates}"));
        Assert.Equal(1, kept.Candidates);
        var (_, zero) = Read("""{ "candidates": 0 }""");
        Assert.Contains(zero, p => p.StartsWith("atlas.candidates:") && p.Contains("positive"));
    }

    [Fact]
    public void A_thread_count_no_machine_has_is_refused()
    {
        // threads: 1000000 reached llama.cpp once, which aborted the process.
        var (settings, problems) = Read("""{ "threads": 1000000, "draftThreads": 100000 }""");
        Assert.Contains(problems, p => p.StartsWith("atlas.threads:") && p.Contains("logical processors"));
        Assert.Contains(problems, p => p.StartsWith("atlas.draftThreads:"));
        Assert.Null(settings.Threads);
        Assert.Equal(new AtlasSettings().DraftThreads, settings.DraftThreads);
        Assert.Equal(2, Read("""{ "threads": 2 }""").Settings.Threads);
    }

    [Fact]
    public void The_debounce_is_adaptive_a_number_of_milliseconds_or_none_and_nothing_else()
    {
        Assert.True(new AtlasSettings().Debounce.IsAdaptive);
        Assert.Equal(150, Read("""{ "debounce": 150 }""").Settings.Debounce.FixedMs);
        Assert.Equal(0, Read("""{ "debounce": "0" }""").Settings.Debounce.FixedMs);
        Assert.True(Read("""{ "debounce": "adaptive" }""", Read("""{ "debounce": 150 }""").Settings).Settings.Debounce.IsAdaptive);
        foreach (var bad in new[] { "\"soon\"", "-1", "60000", "true" })
        {
            var (settings, problems) = Read($$"""{ "debounce": {{bad}} }""");
            Assert.Contains(problems, p => p.StartsWith("atlas.debounce:"));
            Assert.True(settings.Debounce.IsAdaptive);
        }
        var (_, slow) = Read("""{ "slowLatencyMs": 0, "precomputeNext": "yes" }""");
        Assert.Contains(slow, p => p.StartsWith("atlas.slowLatencyMs:"));
        Assert.Contains(slow, p => p.StartsWith("atlas.precomputeNext:"));
    }
}
