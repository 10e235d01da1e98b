using System.CommandLine;
using Atlas.Models;

namespace Atlas.Lsp.Cli;

/// <summary>`atlas-lsp models list` and `atlas-lsp models pull NAME`: the catalog, and getting its models.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir") { Description = "Model cache folder (default: ATLAS_MODELS_DIR, else $XDG_CACHE_HOME/atlas/models, else ~/.cache/atlas/models)." };
        var models = new Command("models", "The model catalog: list it, download from it.");

        var list = new Command("list", "Show the catalog, hardware profiles, and which models are downloaded.");
        list.Options.Add(directory);
        list.SetAction(result =>
        {
            var catalog = ModelCatalog.Load();
            var cache = Cache(result.GetValue(directory));
            Console.WriteLine(Table.Format(
                ["name", "quant", "size", "fim", "ctx", "kv", "repository / file", "downloaded"],
                catalog.Models.Select(m => new[] { m.Name, m.Quantization, $"{m.ApproximateBytes / 1e9:F2} GB", m.FimFamily.ToString(), m.ContextSize.ToString(), m.KvCacheType, m.Repository + "/" + m.File, cache.Find(m) ?? "no" }),
                rightAligned: new HashSet<int> { 2, 4 }));
            Console.WriteLine();
            Console.WriteLine(Table.Format(["profile", "hardware", "target", "draft"], catalog.Profiles.Select(p => new[] { p.Name, p.Hardware, p.Target, p.Draft })));
            Console.WriteLine();
            Console.WriteLine($"cache: {cache.Directory} (pulls go here)");
            // Only a folder that is there: naming a missing one read as if models were being looked for in it.
            if (cache.HuggingFaceHub is { } hub && Directory.Exists(hub)) Console.WriteLine($"also found in the Hugging Face cache: {hub}");
            return 0;
        });

        var name = new Argument<string>("name") { Description = "A catalog model, or a hardware profile (its target and draft); see `models list`." };
        var pull = new Command("pull", "Download a catalog model (or a profile's pair) into the cache: resumable, checksum-verified.");
        pull.Arguments.Add(name);
        pull.Options.Add(directory);
        pull.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var catalog = ModelCatalog.Load();
            var wanted = catalog.Expand(result.GetValue(name)!) ?? throw new UserError($"No model or profile named '{result.GetValue(name)}' in the catalog (see `atlas-lsp models list`).");
            using var http = HubDownloader.NewHttpClient();
            var downloader = new HubDownloader(http, Cache(result.GetValue(directory)));
            try
            {
                // One path per line on stdout, in the order asked (a profile: target, then draft).
                foreach (var model in wanted)
                {
                    if (wanted.Count > 1) Console.Error.WriteLine($"{model.Name} ({model.Repository}/{model.File}):");
                    var path = await downloader.PullAsync(model, new StderrProgress(), cancellationToken);
                    Console.Error.WriteLine();
                    Console.WriteLine(path);
                }
                return 0;
            }
            catch (ModelDownloadException e)
            {
                Console.Error.WriteLine();
                throw new UserError(e.Message);
            }
        }));

        models.Subcommands.Add(list);
        models.Subcommands.Add(pull);
        return models;
    }

    private static ModelCache Cache(string? directory) => directory is { Length: > 0 } d ? new ModelCache(d, ModelCache.DefaultHuggingFaceHub()) : ModelCache.Default();

    /// <summary>One line on stderr, rewritten in place: bytes, rate, time left.</summary>
    private sealed class StderrProgress : IProgress<DownloadProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(DownloadProgress value)
        {
            var done = value.Total is { } t && value.Bytes >= t;
            if (!done && DateTime.UtcNow - _last < TimeSpan.FromMilliseconds(200)) return;
            _last = DateTime.UtcNow;
            var total = value.Total is { } all ? $" / {all / 1048576.0:F1} MiB {Bar((double)value.Bytes / all)} {100.0 * value.Bytes / all:F0}%" : "";
            var eta = value.Remaining is { } r ? $", {r:hh\\:mm\\:ss} left" : "";
            Console.Error.Write($"\r{value.Bytes / 1048576.0:F1} MiB{total} at {value.BytesPerSecond / 1048576.0:F1} MiB/s{eta}   ");
        }

        private static string Bar(double done)
        {
            var filled = (int)Math.Round(Math.Clamp(done, 0, 1) * 24);
            return "[" + new string('#', filled) + new string('.', 24 - filled) + "]";
        }
    }
}
