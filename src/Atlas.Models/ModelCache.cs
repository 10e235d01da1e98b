namespace Atlas.Models;

/// <summary>
/// Where downloaded models live: ATLAS_MODELS_DIR if set, else $XDG_CACHE_HOME/atlas/models, else
/// ~/.cache/atlas/models. Each model is {dir}/{repository with '/' as '--'}/{file}; a download in progress is the same
/// path plus ".partial", so an interrupted pull resumes where it stopped.
/// </summary>
public sealed class ModelCache(string directory)
{
    public string Directory { get; } = directory;

    public static ModelCache Default() => new(DefaultDirectory());

    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("ATLAS_MODELS_DIR") is { Length: > 0 } explicitDir) return explicitDir;
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "atlas", "models");
    }

    public string PathOf(CatalogModel model) => Path.Combine(Directory, model.Repository.Replace("/", "--"), model.File);

    public bool Has(CatalogModel model) => File.Exists(PathOf(model));
}

/// <summary>Turns what a user wrote for a model (a path or a catalog name) into a file path, or says how to get it.</summary>
public static class ModelReference
{
    public static string Resolve(string value, ModelCatalog? catalog = null, ModelCache? cache = null)
    {
        if (File.Exists(value) || value.Contains('/') || value.Contains('\\') || value.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return value;
        catalog ??= ModelCatalog.Load();
        cache ??= ModelCache.Default();
        var model = catalog.Find(value) ?? throw new FileNotFoundException($"'{value}' is neither a model file nor a catalog name (see `atlas-lsp models list`).");
        var path = cache.PathOf(model);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Model '{model.Name}' is not downloaded yet: run `atlas-lsp models pull {model.Name}`.");
    }
}
