using System.Diagnostics;
using System.Text;
using Atlas.Engine.Decoding;
using Atlas.Engine.Loading;
using Atlas.Engine.Prompting;
using LLama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Engine;

/// <summary>
/// The resident completion engine: one model loaded once, one context whose KV cache is reused across requests,
/// and a queue in front of them. Callers may come from any thread; they are served one at a time, and a request
/// with a <see cref="CompletionRequest.SupersedeKey"/> cancels the older request with the same key.
/// </summary>
public sealed class CompletionEngine : IDisposable
{
    private readonly LoadedModel _model;
    private readonly KvCacheSession _session;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _supersedeGate = new();
    private readonly Dictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private bool _disposed;

    private CompletionEngine(LoadedModel model, KvCacheSession session, ILogger logger)
    {
        _model = model;
        _session = session;
        _logger = logger;
    }

    public LoadedModel Model => _model;

    /// <summary>What the engine runs with, for status displays and benchmarks.</summary>
    public EngineInfo Info => new(_model.Name, _model.Settings.ModelPath, _model.Template.Family, _model.KvPlan.Effective, _session.ContextSize, _session.KvCacheBytes);

    /// <summary>Loads the model and creates its context; a bad model file raises <see cref="ModelLoadException"/>.</summary>
    public static async Task<CompletionEngine> LoadAsync(EngineSettings settings, ILogger? logger = null, IProgress<float>? progress = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var model = await LoadedModel.LoadAsync(settings, logger, progress, cancellationToken).ConfigureAwait(false);
        try
        {
            var session = new KvCacheSession(model, logger);
            var engine = new CompletionEngine(model, session, logger);
            logger.LogInformation("Loaded {Name}: FIM {Family}, KV cache {Kv}, context {Context} tokens", model.Name, model.Template.Family, KvCachePlan.Name(model.KvPlan.Effective), session.ContextSize);
            return engine;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The prompt this request would be sent as, without running the model.</summary>
    public FimPrompt BuildPrompt(CompletionRequest request) =>
        FimPrompt.Build(_model, request.Prefix, request.Suffix, PromptRoom(request));

    /// <summary>
    /// Completes at the cursor. Greedy, so the same prompt gives the same answer whether or not the cache was warm.
    /// Throws <see cref="OperationCanceledException"/> when cancelled or superseded, within one token.
    /// </summary>
    public async Task<Completion> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Supersede(request.SupersedeKey, linked);
        var queued = Stopwatch.StartNew();
        try
        {
            await _turn.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                var queueMs = queued.Elapsed.TotalMilliseconds;
                return await Task.Run(() => Generate(request, queueMs, linked.Token), linked.Token).ConfigureAwait(false);
            }
            finally
            {
                _turn.Release();
            }
        }
        finally
        {
            Release(request.SupersedeKey, linked);
        }
    }

    private Completion Generate(CompletionRequest request, double queueMs, CancellationToken cancellationToken)
    {
        var prompt = BuildPrompt(request);
        var clock = Stopwatch.StartNew();
        var (reused, evaluated) = _session.Prefill(prompt.Tokens, cancellationToken);
        var promptMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, _model.Weights.NativeHandle);
        var text = new StringBuilder();
        var generated = new List<int>();
        var stop = StopReason.MaxTokens;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = Greedy.ArgMax(_session.Logits());
            if (_model.IsStop((LLama.Native.LLamaToken)token)) { stop = StopReason.EndOfGeneration; break; }

            generated.Add(token);
            decoder.Add(token);
            text.Append(decoder.Read());
            if (request.SingleLine && IndexOfNewline(text) is var newline and >= 0)
            {
                text.Length = newline;
                stop = StopReason.EndOfLine;
                break;
            }
            request.OnToken?.Invoke(generated.Count, text.ToString());
            if (generated.Count >= request.MaxTokens) { stop = StopReason.MaxTokens; break; }
            if (clock.Elapsed >= request.TimeBudget) { stop = StopReason.TimeBudget; break; }
            if (_session.Cached.Count >= _session.ContextSize) { stop = StopReason.ContextFull; break; }
            cancellationToken.ThrowIfCancellationRequested();
            _session.Append(token);
        }

        var timings = new CompletionTimings
        {
            TokensReused = reused,
            TokensEvaluated = evaluated,
            TokensGenerated = generated.Count,
            QueueMs = queueMs,
            PromptMs = promptMs,
            GenerationMs = clock.Elapsed.TotalMilliseconds,
        };
        _logger.LogDebug("Completion ({Stop}): {Timings}", stop, timings);
        return new Completion(text.ToString(), stop, timings, generated);
    }

    /// <summary>Drops the KV cache so the next request starts cold (benchmarks measure cold prompts with it).</summary>
    public async Task ForgetCacheAsync(CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _session.Clear();
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Room for the prompt: the context less what the answer may need.</summary>
    private int PromptRoom(CompletionRequest request) => Math.Max(1, _session.ContextSize - Math.Max(1, request.MaxTokens));

    private static int IndexOfNewline(StringBuilder text)
    {
        for (var i = 0; i < text.Length; i++)
            if (text[i] == '\n') return i > 0 && text[i - 1] == '\r' ? i - 1 : i;
        return -1;
    }

    private void Supersede(string? key, CancellationTokenSource current)
    {
        if (key is null) return;
        CancellationTokenSource? older;
        lock (_supersedeGate)
        {
            _inFlight.TryGetValue(key, out older);
            _inFlight[key] = current;
        }
        try
        {
            older?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The older request finished between the look-up and the cancel: nothing left to stop.
        }
    }

    private void Release(string? key, CancellationTokenSource current)
    {
        if (key is null) return;
        lock (_supersedeGate)
        {
            if (_inFlight.TryGetValue(key, out var registered) && registered == current)
                _inFlight.Remove(key);
        }
    }

    /// <summary>Waits for the request in progress, then frees the context and the weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _turn.Wait();
        _session.Dispose();
        _model.Dispose();
        _turn.Dispose();
    }
}

/// <summary>What a loaded engine runs with.</summary>
public sealed record EngineInfo(string ModelName, string ModelPath, FimFamily Family, KvCacheType KvCache, int ContextSize, long? KvCacheBytes);
