namespace Atlas.Models;

/// <summary>
/// Where models live. Pulls go to ATLAS_MODELS_DIR if set, else $XDG_CACHE_HOME/atlas/models, else
/// ~/.cache/atlas/models; each model is {dir}/{repository with '/' as '--'}/{file}, and a download in progress is the
/// same path plus ".partial", so an interrupted pull resumes where it stopped. A model already in the Hugging Face
/// hub cache (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub: what huggingface-cli and other tools
/// fill) is used from there instead of being downloaded twice.
/// </summary>
public sealed class ModelCache(string directory, string? huggingFaceHub = null)
{
    public string Directory { get; } = directory;

    /// <summary>The Hugging Face hub cache searched for models pulled by other tools (null: none).</summary>
    public string? HuggingFaceHub { get; } = huggingFaceHub;

    public static ModelCache Default() => new(DefaultDirectory(), DefaultHuggingFaceHub());

    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("ATLAS_MODELS_DIR") is { Length: > 0 } explicitDir) return explicitDir;
        return Path.Combine(XdgCache(), "atlas", "models");
    }

    /// <summary>huggingface_hub's own rule: HF_HUB_CACHE, else $HF_HOME/hub, HF_HOME defaulting to $XDG_CACHE_HOME/huggingface.</summary>
    public static string DefaultHuggingFaceHub()
    {
        if (Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } hub) return hub;
        return Path.Combine(HuggingFaceHome(), "hub");
    }

    public static string HuggingFaceHome() =>
        Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home ? home : Path.Combine(XdgCache(), "huggingface");

    private static string XdgCache() =>
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");

    /// <summary>Where `models pull` puts the model.</summary>
    public string PathOf(CatalogModel model) => Path.Combine(Directory, model.Repository.Replace("/", "--"), model.File);

    /// <summary>The model's file if it is on disk: Atlas's cache first, then the Hugging Face hub cache.</summary>
    public string? Find(CatalogModel model)
    {
        var own = PathOf(model);
        if (File.Exists(own)) return own;
        return HuggingFaceHub is null ? null : FindInHub(HuggingFaceHub, model);
    }

    /// <summary>
    /// The hub cache's layout: models--{org}--{name}/refs/{revision} holds a commit, snapshots/{commit}/{file} the
    /// file (a symlink into blobs/). The revision's own snapshot is preferred; any snapshot holding the file will do,
    /// since the catalog pins files by name and the download check is the checksum, not the commit.
    /// </summary>
    private static string? FindInHub(string hub, CatalogModel model)
    {
        var repo = Path.Combine(hub, "models--" + model.Repository.Replace("/", "--"));
        var snapshots = Path.Combine(repo, "snapshots");
        if (!System.IO.Directory.Exists(snapshots)) return null;
        var refFile = Path.Combine(repo, "refs", model.Revision);
        if (File.Exists(refFile) && Path.Combine(snapshots, File.ReadAllText(refFile).Trim(), model.File) is var pinned && File.Exists(pinned))
            return pinned;
        return System.IO.Directory.EnumerateDirectories(snapshots)
            .Select(snapshot => Path.Combine(snapshot, model.File))
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>Turns what a user wrote for a model (a path or a catalog name) into a file path, or says how to get it.</summary>
public static class ModelReference
{
    public static string Resolve(string value, ModelCatalog? catalog = null, ModelCache? cache = null)
    {
        if (IsPath(value)) return value;
        catalog ??= ModelCatalog.Load();
        cache ??= ModelCache.Default();
        var model = catalog.Find(value) ?? throw new FileNotFoundException($"'{value}' is neither a model file nor a catalog name (see `atlas-lsp models list`).");
        return cache.Find(model) ?? throw new FileNotFoundException($"Model '{model.Name}' is not downloaded yet: run `atlas-lsp models pull {model.Name}`.");
    }

    /// <summary>A file that exists, or anything shaped like a path: never looked up in the catalog.</summary>
    private static bool IsPath(string value) =>
        File.Exists(value) || value.Contains('/') || value.Contains('\\') || value.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>The catalog model a value names when it is a catalog name whose file is not on disk yet; else null.</summary>
    public static CatalogModel? Missing(string value, ModelCatalog? catalog = null, ModelCache? cache = null)
    {
        if (IsPath(value)) return null;
        var model = (catalog ?? ModelCatalog.Load()).Find(value);
        return model is not null && (cache ?? ModelCache.Default()).Find(model) is null ? model : null;
    }
}
