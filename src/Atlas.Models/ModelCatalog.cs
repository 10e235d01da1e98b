using System.Text.Json;

namespace Atlas.Models;

/// <summary>A model the catalog recommends: where it lives on the hub and how Atlas should run it.</summary>
public sealed record CatalogModel(string Name, string Repository, string File, string Revision, string Quantization,
    long ApproximateBytes, string FimFamily, int ContextSize, string KvCacheType, string? Sha256);

/// <summary>A hardware profile: the target and draft pair to use on it.</summary>
public sealed record CatalogProfile(string Name, string Hardware, string Target, string Draft);

/// <summary>The model catalog (models/catalog.json, copied next to the executable).</summary>
public sealed record ModelCatalog(IReadOnlyList<CatalogModel> Models, IReadOnlyList<CatalogProfile> Profiles)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ModelCatalog Load(string? path = null)
    {
        path ??= Path.Combine(AppContext.BaseDirectory, "catalog.json");
        return JsonSerializer.Deserialize<ModelCatalog>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"Empty catalog: {path}");
    }

    public CatalogModel? Find(string name) => Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public CatalogProfile? FindProfile(string name) => Profiles.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>What `models pull NAME` fetches: one model, or a hardware profile's target and draft.</summary>
    public IReadOnlyList<CatalogModel>? Expand(string name) =>
        Find(name) is { } model ? [model]
        : FindProfile(name) is { } profile ? [.. new[] { profile.Target, profile.Draft }.Select(n => Find(n) ?? throw new InvalidDataException($"Profile {profile.Name} names {n}, which is not in the catalog."))]
        : null;
}
