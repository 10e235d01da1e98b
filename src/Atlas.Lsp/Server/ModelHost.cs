using Atlas.Engine;
using Atlas.Models;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Server;

/// <summary>
/// Owns the loaded engine across configuration changes: loads in the background, swaps a new model in when the
/// model settings change (without restarting the server), and lets requests wait for a load in progress for a
/// bounded time. A model that cannot load leaves no engine and a problem to report; the server keeps serving.
/// </summary>
public sealed class ModelHost(ILogger logger) : IDisposable
{
    /// <summary>An engine the caller loaded and owns, served whatever the settings say (null: load from the settings).</summary>
    private CompletionEngine? _lent;

    /// <summary>
    /// A host that serves one engine its caller loaded and disposes: benchmarks run many server sessions on one
    /// model, as an editor's sessions would each find it already warm. Settings that name another model are ignored.
    /// </summary>
    public static ModelHost Serving(CompletionEngine engine, ILogger logger) => new(logger) { _lent = engine, _ready = engine, _current = Task.FromResult<CompletionEngine?>(engine) };

    /// <summary>How long a request waits for a model still loading before it answers empty.</summary>
    public static readonly TimeSpan LoadWait = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private Task<CompletionEngine?> _current = Task.FromResult<CompletionEngine?>(null);
    private EngineSettings? _settings;
    private int _generation;
    private CompletionEngine? _ready;
    private Action<CompletionEngine>? _onLoaded;

    /// <summary>
    /// Gets a catalog model the settings name but the disk lacks (the server asks the user, then downloads it);
    /// answers its path, or null when it was not fetched. Without it, such a name fails with the `models pull` hint.
    /// </summary>
    public Func<CatalogModel, Task<string?>>? Fetch { get; set; }

    /// <summary>Fetches in progress: requests then answer at once instead of waiting out a download.</summary>
    private int _fetching;

    /// <summary>Why the configured model (or draft) is not in use, for the status and the user.</summary>
    public string? Problem { get; private set; }

    public bool IsLoading => !_current.IsCompleted;

    /// <summary>
    /// Loads the model these settings name, unless it is already the one loaded. The previous engine is disposed
    /// once the new one is in place (after the request it may be serving). <paramref name="onLoaded"/> prepares
    /// what depends on the engine (the prompt budget in its tokens): it runs before any waiting request gets the
    /// engine, and at once when the engine these settings name is already loaded.
    /// </summary>
    public Task<CompletionEngine?> Configure(EngineSettings? settings, IProgress<float>? progress, Action<string>? onProblem, Action<CompletionEngine>? onLoaded = null)
    {
        lock (_gate)
        {
            _onLoaded = onLoaded;
            if (settings == _settings || _lent is not null)
            {
                if (_ready is { } engine) onLoaded?.Invoke(engine);
                return _current;
            }
            _settings = settings;
            _ready = null;
            var previous = _current;
            _current = LoadAsync(settings, previous, ++_generation, progress, onProblem);
            return _current;
        }
    }

    /// <summary>Whether these settings name another model than the one loaded or loading (so configuring them loads).</summary>
    public bool IsNew(EngineSettings? settings)
    {
        lock (_gate) return settings != _settings && _lent is null;
    }

    /// <summary>The engine, waiting up to <see cref="LoadWait"/> for a load in progress; null when there is none.</summary>
    public async Task<CompletionEngine?> EngineAsync(CancellationToken cancellationToken)
    {
        Task<CompletionEngine?> current;
        lock (_gate) current = _current;
        if (Volatile.Read(ref _fetching) > 0 && !current.IsCompleted) return null;
        try
        {
            return await current.WaitAsync(LoadWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private async Task<CompletionEngine?> LoadAsync(EngineSettings? settings, Task<CompletionEngine?> previous, int generation, IProgress<float>? progress, Action<string>? onProblem)
    {
        var old = await previous.ConfigureAwait(false);
        old?.Dispose();
        if (settings is null)
        {
            // The server tells the user (once, with what to do); here it is only the status's reason.
            Problem = "No model configured: set atlas.model.";
            return null;
        }
        try
        {
            // Settings may name catalog models instead of files.
            settings = settings with
            {
                ModelPath = await ResolveAsync(settings.ModelPath).ConfigureAwait(false),
                DraftModelPath = settings.DraftModelPath is { } draft ? await ResolveAsync(draft).ConfigureAwait(false) : null,
            };
            var engine = await CompletionEngine.LoadAsync(settings, logger, progress).ConfigureAwait(false);
            lock (_gate)
            {
                // A load that newer settings superseded serves no one: its engine is disposed by the next load.
                if (generation == _generation)
                {
                    _ready = engine;
                    _onLoaded?.Invoke(engine);
                }
            }
            Problem = engine.DraftProblem;
            if (Problem is not null) onProblem?.Invoke($"{Problem} Check atlas.draftModel.");
            return engine;
        }
        catch (ModelLoadException e)
        {
            Problem = $"{e.Message} Check the atlas.model setting.";
            logger.LogError("{Problem}", Problem);
            onProblem?.Invoke(Problem);
            return null;
        }
    }

    /// <summary>A path, or a catalog name turned into its file (fetched first if it is missing and the user agrees).</summary>
    private async Task<string> ResolveAsync(string value)
    {
        try
        {
            return ModelReference.Resolve(value);
        }
        catch (FileNotFoundException e)
        {
            if (Fetch is { } fetch && ModelReference.Missing(value) is { } missing)
            {
                Interlocked.Increment(ref _fetching);
                try
                {
                    if (await fetch(missing).ConfigureAwait(false) is { } path) return path;
                }
                catch (ModelDownloadException download)
                {
                    throw new ModelLoadException(download.Message, download);
                }
                finally
                {
                    Interlocked.Decrement(ref _fetching);
                }
            }
            throw new ModelLoadException(e.Message, e);
        }
    }

    /// <summary>Longest the process waits at exit for a load in progress (llama.cpp cannot be stopped mid-load).</summary>
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(30);

    public void Dispose()
    {
        Task<CompletionEngine?> current;
        lock (_gate) current = _current;
        if (_lent is not null) return;
        // A process that ends while llama.cpp is still loading on another thread has its native state torn down under
        // the load: it crashed with SIGSEGV when an editor sent shutdown and exit right after initialize.
        try
        {
            current.Wait(ExitWait);
        }
        catch (AggregateException)
        {
            // A load that failed left nothing to free.
        }
        if (current.IsCompletedSuccessfully) current.Result?.Dispose();
    }
}
