namespace Atlas.Completion.Filters;

/// <summary>
/// The filters that trim a multi-line suggestion to what a user would accept: each can be switched on alone, so
/// `bench quality` can measure what each does (setting atlas.multiLineFilters).
/// </summary>
[Flags]
public enum MultiLineFilters
{
    None = 0,
    /// <summary>Stop where the code leaves the indentation scope the cursor is in (<see cref="IndentationScope"/>).</summary>
    IndentationScope = 1,
    /// <summary>Drop the tail where the model loops on a line or a block (<see cref="RepetitionLoop"/>).</summary>
    Repetition = 2,
    /// <summary>Drop trailing closing lines the code below the cursor already has (<see cref="SuffixClosers"/>).</summary>
    SuffixCloser = 4,
    All = IndentationScope | Repetition | SuffixCloser,
}

public static class MultiLineFilterSet
{
    /// <summary>
    /// The filters on unless a setting says otherwise: the one place this is decided. All three: on ../shared/eval
    /// (README, "Completion quality") they changed no first line, right or wrong, and lost no line the file has,
    /// while the cleaner cut every multi-line answer that ran on into the next member; in C# the syntax guard
    /// cut most of those anyway, in other languages nothing else does.
    /// </summary>
    public const MultiLineFilters Default = MultiLineFilters.All;

    /// <summary>The filters in the order the cleaner applies them, with the names settings and reports use.</summary>
    public static readonly IReadOnlyList<(MultiLineFilters Filter, string Name)> Each =
    [
        (MultiLineFilters.IndentationScope, "scope"),
        (MultiLineFilters.Repetition, "repetition"),
        (MultiLineFilters.SuffixCloser, "closer"),
    ];

    public static string Name(MultiLineFilters filters) =>
        filters == MultiLineFilters.None ? "none" : string.Join(",", Each.Where(e => filters.HasFlag(e.Filter)).Select(e => e.Name));

    /// <summary>"default", "all", "none", or a comma-separated list of scope, repetition and closer.</summary>
    public static MultiLineFilters Parse(string? value)
    {
        var text = value?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text) || text == "default") return Default;
        if (text == "all") return MultiLineFilters.All;
        if (text == "none") return MultiLineFilters.None;
        var filters = MultiLineFilters.None;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var found = Each.FirstOrDefault(e => e.Name == part);
            if (found.Name is null)
                throw new ArgumentException($"Unknown multi-line filter '{part}': use default, all, none or a list of {string.Join(", ", Each.Select(e => e.Name))}.");
            filters |= found.Filter;
        }
        return filters;
    }
}
