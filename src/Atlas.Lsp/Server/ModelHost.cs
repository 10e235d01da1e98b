using Atlas.Engine;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Server;

/// <summary>
/// Owns the loaded engine across configuration changes: loads in the background, swaps a new model in when the
/// model settings change (without restarting the server), and lets requests wait for a load in progress for a
/// bounded time. A model that cannot load leaves no engine and a problem to report; the server keeps serving.
/// </summary>
public sealed class ModelHost(ILogger logger) : IDisposable
{
    /// <summary>How long a request waits for a model still loading before it answers empty.</summary>
    public static readonly TimeSpan LoadWait = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private Task<CompletionEngine?> _current = Task.FromResult<CompletionEngine?>(null);
    private EngineSettings? _settings;

    /// <summary>Why the configured model (or draft) is not in use, for the status and the user.</summary>
    public string? Problem { get; private set; }

    public bool IsLoading => !_current.IsCompleted;

    /// <summary>
    /// Loads the model these settings name, unless it is already the one loaded. The previous engine is disposed
    /// once the new one is in place (after the request it may be serving).
    /// </summary>
    public Task<CompletionEngine?> Configure(EngineSettings? settings, IProgress<float>? progress, Action<string>? onProblem)
    {
        lock (_gate)
        {
            if (settings == _settings) return _current;
            _settings = settings;
            var previous = _current;
            _current = LoadAsync(settings, previous, progress, onProblem);
            return _current;
        }
    }

    /// <summary>The engine, waiting up to <see cref="LoadWait"/> for a load in progress; null when there is none.</summary>
    public async Task<CompletionEngine?> EngineAsync(CancellationToken cancellationToken)
    {
        Task<CompletionEngine?> current;
        lock (_gate) current = _current;
        try
        {
            return await current.WaitAsync(LoadWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private async Task<CompletionEngine?> LoadAsync(EngineSettings? settings, Task<CompletionEngine?> previous, IProgress<float>? progress, Action<string>? onProblem)
    {
        var old = await previous.ConfigureAwait(false);
        old?.Dispose();
        if (settings is null)
        {
            Problem = "No model configured: set atlas.model to the path of a GGUF file.";
            onProblem?.Invoke(Problem);
            return null;
        }
        try
        {
            // Settings may name catalog models instead of files.
            settings = settings with
            {
                ModelPath = ResolveName(settings.ModelPath),
                DraftModelPath = settings.DraftModelPath is { } draft ? ResolveName(draft) : null,
            };
            var engine = await CompletionEngine.LoadAsync(settings, logger, progress).ConfigureAwait(false);
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

    private static string ResolveName(string value)
    {
        try
        {
            return Atlas.Models.ModelReference.Resolve(value);
        }
        catch (FileNotFoundException e)
        {
            throw new ModelLoadException(e.Message, e);
        }
    }

    public void Dispose()
    {
        Task<CompletionEngine?> current;
        lock (_gate) current = _current;
        if (current.IsCompletedSuccessfully) current.Result?.Dispose();
    }
}
