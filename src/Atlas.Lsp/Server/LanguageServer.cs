using System.Diagnostics;
using System.Text.Json;
using Atlas.Completion;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Fixes;
using Atlas.Fixes.Verification;
using Atlas.Lsp.Protocol;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using Diagnostic = Atlas.Lsp.Protocol.Diagnostic;
using Range = Atlas.Lsp.Protocol.Range;

namespace Atlas.Lsp.Server;

/// <summary>
/// The LSP methods Atlas implements. StreamJsonRpc dispatches to these; they translate between protocol shapes and
/// the document store, the completion service and the fix proposer, and never let one bad request take the server down.
/// </summary>
public sealed class LanguageServer(DocumentStore documents, ModelHost models, CompletionService completions, RepositoryWorkspace repository, ILogger logger, AtlasSettings? defaults = null)
{
    private JsonRpc? _rpc;
    private AtlasSettings _settings = defaults ?? new();
    private bool _clientResolvesCodeActions;
    private bool _clientShowsProgress;
    private bool _clientWatchesFiles;
    private int _progressCount;
    private bool _toldNoModel;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>What the user is told, once, when no model is configured.</summary>
    public const string NoModel = "no model is configured, so there are no suggestions. Set atlas.model to a GGUF file or a catalog name: `atlas-lsp models list` shows the catalog and what is downloaded, `atlas-lsp models pull NAME` downloads one.";

    /// <summary>Completes when the client sent exit.</summary>
    public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AtlasSettings Settings => _settings;

    /// <summary>Called by the latest completion with its figures (benchmarks read them).</summary>
    public Action<Suggestion>? OnSuggestion { get; set; }

    public void Attach(JsonRpc rpc)
    {
        _rpc = rpc;
        models.Fetch = OfferDownloadAsync;
    }

    [JsonRpcMethod("initialize", UseSingleObjectParameterDeserialization = true)]
    public InitializeResult Initialize(InitializeParams parameters)
    {
        _clientResolvesCodeActions = Flag(parameters.Capabilities, "textDocument", "codeAction", "resolveSupport");
        _clientShowsProgress = Flag(parameters.Capabilities, "window", "workDoneProgress");
        _clientWatchesFiles = Flag(parameters.Capabilities, "workspace", "didChangeWatchedFiles", "dynamicRegistration");
        ApplySettings(parameters.InitializationOptions, loadNow: false);
        _ = repository.IndexAsync(WorkspaceFolders(parameters));
        WarmRoslyn();
        return new InitializeResult(
            new ServerCapabilities(
                new TextDocumentSyncOptions(OpenClose: true, Change: Spec.SyncIncremental, new SaveOptions(IncludeText: false)),
                InlineCompletionProvider: new { },
                CompletionProvider: new Protocol.CompletionOptions(TriggerCharacters: [".", "(", " ", "\n"], ResolveProvider: false),
                CodeActionProvider: new CodeActionOptions(["quickfix"], ResolveProvider: true)),
            new ServerInfo("atlas-lsp", typeof(LanguageServer).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    [JsonRpcMethod("initialized")]
    public void Initialized()
    {
        Reload();
        // Files changed outside the editor (a branch switch, a generator) reach the index through the client's watcher.
        if (_clientWatchesFiles && repository.Index.Roots.Count > 0)
            _ = RequestAsync("client/registerCapability", new
            {
                registrations = new[] { new { id = "atlas-watched-files", method = "workspace/didChangeWatchedFiles", registerOptions = new { watchers = new[] { new { globPattern = "**/*" } } } } },
            });
    }

    /// <summary>Background work stops; <see cref="Lifecycle"/> refuses every later request.</summary>
    [JsonRpcMethod("shutdown")]
    public object? Shutdown()
    {
        _stopping.Cancel();
        return null;
    }

    [JsonRpcMethod("exit")]
    public void Exit()
    {
        _stopping.Cancel();
        Exited.TrySetResult();
    }

    /// <summary>
    /// The environment variable that turns the Roslyn warm-up off when set to 0: a diagnostic switch, so `bench fixes`
    /// can put a cold first listing beside a warm one. Nobody needs it otherwise.
    /// </summary>
    public const string WarmRoslynVariable = "ATLAS_WARM_ROSLYN";

    /// <summary>
    /// Roslyn's first compilation in a process took the first "fix this" listing 1.3 s; warmed in the background from
    /// initialize, the first listing costs what the tenth does. Nothing waits for it; shutdown cancels it.
    /// </summary>
    private void WarmRoslyn()
    {
        if (Environment.GetEnvironmentVariable(WarmRoslynVariable) == "0")
        {
            logger.LogInformation("Roslyn warm-up off ({Variable}=0): the first C# request compiles cold", WarmRoslynVariable);
            return;
        }
        _ = repository.WarmRoslynAsync(_stopping.Token).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result is var w)
                logger.LogInformation("Roslyn warm in {Total:F0} ms: the compiler and the framework's references {Compiler:F0} ms, the repository's {Files} C# files declared {Repository:F0} ms after {Wait:F0} ms for the index",
                    (w.Compiler + w.IndexWait + w.Repository).TotalMilliseconds, w.Compiler.TotalMilliseconds, w.Files, w.Repository.TotalMilliseconds, w.IndexWait.TotalMilliseconds);
            else if (t.IsFaulted)
                logger.LogWarning("Roslyn warm-up failed (the first C# request compiles cold): {Message}", t.Exception?.GetBaseException().Message);
        }, TaskScheduler.Default);
    }

    [JsonRpcMethod("workspace/didChangeConfiguration", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeConfiguration(DidChangeConfigurationParams parameters) => ApplySettings(parameters.Settings, loadNow: true);

    [JsonRpcMethod("textDocument/didOpen", UseSingleObjectParameterDeserialization = true)]
    public void DidOpen(DidOpenTextDocumentParams parameters)
    {
        var item = parameters.TextDocument;
        var document = new TextDocument(item.Uri, item.LanguageId, item.Version, item.Text ?? "");
        documents.Open(document);
        repository.Opened(document);
    }

    [JsonRpcMethod("textDocument/didChange", UseSingleObjectParameterDeserialization = true)]
    public void DidChange(DidChangeTextDocumentParams parameters)
    {
        try
        {
            var document = documents.Change(parameters.TextDocument.Uri, parameters.TextDocument.Version,
                parameters.ContentChanges.Select(c => (c.Range is { } r ? (TextRange?)ToRange(r) : null, c.Text ?? "")));
            repository.Changed(document, parameters.ContentChanges.LastOrDefault()?.Range?.Start.Line);
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentOutOfRangeException)
        {
            // A notification has no answer: say it in the log and keep the last good text.
            logger.LogWarning("Ignored didChange for {Uri}: {Message}", parameters.TextDocument.Uri, e.Message);
        }
    }

    [JsonRpcMethod("textDocument/didClose", UseSingleObjectParameterDeserialization = true)]
    public void DidClose(DidCloseTextDocumentParams parameters)
    {
        var size = documents.Get(parameters.TextDocument.Uri)?.Text.Length ?? 0;
        documents.Close(parameters.TextDocument.Uri);
        repository.Closed(parameters.TextDocument.Uri);
        if (size >= LargeDocument) ReleaseMemory(size);
    }

    /// <summary>Characters from which a closed document's memory is worth a compacting collection (1 MB of text is 2 MB of heap, more with its trees).</summary>
    private const int LargeDocument = 1 << 20;

    /// <summary>
    /// A large document leaves its text, lines, syntax trees and prompt pieces in the large-object heap, which the
    /// collector does not compact by default: RSS stayed hundreds of MB up after a 23 MB file was closed. One
    /// compacting collection after such a close gives that memory back to the system; it costs tens of milliseconds,
    /// once per large close.
    /// </summary>
    private void ReleaseMemory(int size)
    {
        var before = Environment.WorkingSet;
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        logger.LogInformation("Closed a document of {Chars:N0} chars; working set {Before:N0} → {After:N0} MB", size, before >> 20, Environment.WorkingSet >> 20);
    }

    [JsonRpcMethod("workspace/didChangeWatchedFiles", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeWatchedFiles(DidChangeWatchedFilesParams parameters)
    {
        foreach (var change in parameters.Changes)
            if (documents.Get(change.Uri) is null) repository.Watched(change.Uri, change.Type);
    }

    /// <summary>Nothing to do: an open document's text is indexed from its changes already, and it matches the saved file.</summary>
    [JsonRpcMethod("textDocument/didSave", UseSingleObjectParameterDeserialization = true)]
    public void DidSave(DidSaveTextDocumentParams parameters)
    {
    }

    [JsonRpcMethod("textDocument/inlineCompletion", UseSingleObjectParameterDeserialization = true)]
    public async Task<InlineCompletionList> InlineCompletion(InlineCompletionParams parameters, CancellationToken cancellationToken)
    {
        var (document, position) = Locate(parameters.TextDocument, parameters.Position);
        var suggestion = await SuggestAsync(document, position, cancellationToken);
        if (suggestion?.Text is not { } text) return new InlineCompletionList([]);
        var replaced = new Position(position.Line, position.Character + suggestion.ReplacedLength);
        return new InlineCompletionList([new InlineCompletionItem(text, new Range(ToPosition(position), replaced))]);
    }

    [JsonRpcMethod("textDocument/completion", UseSingleObjectParameterDeserialization = true)]
    public async Task<CompletionList> Completion(CompletionParams parameters, CancellationToken cancellationToken)
    {
        var (document, position) = Locate(parameters.TextDocument, parameters.Position);
        var suggestion = await SuggestAsync(document, position, cancellationToken);
        if (suggestion?.Text is not { } text) return new CompletionList(IsIncomplete: true, []);

        // Menus filter by the word being typed, so the item replaces that word with word + suggestion.
        var line = document.LineText(position.Line);
        var wordStart = position.Character;
        while (wordStart > 0 && (char.IsLetterOrDigit(line[wordStart - 1]) || line[wordStart - 1] == '_')) wordStart--;
        var word = line[wordStart..position.Character];
        var firstLine = text.Split('\n')[0];
        var label = word + firstLine;
        var edit = new TextEdit(new Range(new Position(position.Line, wordStart), new Position(position.Line, position.Character + suggestion.ReplacedLength)), word + text);
        var item = new CompletionItem(label, Spec.CompletionKindText, "Atlas", "0000", label, word + text, Spec.InsertTextPlain, edit, Preselect: true,
            text.Contains('\n') ? new MarkupContent("plaintext", text) : null);
        return new CompletionList(IsIncomplete: true, [item]);
    }

    [JsonRpcMethod("textDocument/codeAction", UseSingleObjectParameterDeserialization = true)]
    public async Task<CodeAction[]> CodeAction(CodeActionParams parameters, CancellationToken cancellationToken)
    {
        var document = documents.Get(parameters.TextDocument.Uri) ?? throw InvalidParams($"Document not open: {parameters.TextDocument.Uri}");
        var range = ToRange(parameters.Range);
        if (!document.Contains(range.Start) || !document.Contains(range.End)) throw InvalidParams($"Range {range.Start}-{range.End} is outside the document.");
        var problems = parameters.Context.Diagnostics.ToList();
        if (Atlas.Fixes.Targets.FixTarget.IsCSharp(document))
            problems.AddRange(await CompilerDiagnosticsAsync(RoslynDocument(document) ?? CSharpDocuments.Standalone(document), document, range, problems, cancellationToken));
        if (problems.Count == 0 && range.Start == range.End) return [];

        var csharp = Atlas.Fixes.Targets.FixTarget.IsCSharp(document);
        var title = csharp ? "Atlas: fix this" : "Atlas: fix this (unverified)";
        var data = JsonSerializer.SerializeToElement(new FixRequestData(document.Uri, document.Version, parameters.Range, [.. problems]), Spec.Json);
        var action = new CodeAction(title, "quickfix", problems.Count > 0 ? [.. problems] : null, null, data);
        // Listing stays instant: the model runs in codeAction/resolve, unless the client cannot resolve.
        return [_clientResolvesCodeActions ? action : await ResolveCodeAction(action, cancellationToken)];
    }

    [JsonRpcMethod("codeAction/resolve", UseSingleObjectParameterDeserialization = true)]
    public async Task<CodeAction> ResolveCodeAction(CodeAction action, CancellationToken cancellationToken)
    {
        var data = action.Data?.Deserialize<FixRequestData>(Spec.Json) ?? throw InvalidParams("The code action has no Atlas data to resolve.");
        var document = documents.Get(data.Uri) ?? throw InvalidParams($"Document not open: {data.Uri}");
        if (document.Version != data.Version)
            throw new LocalRpcException($"The document changed since the action was offered (version {data.Version}, now {document.Version}); ask again.") { ErrorCode = -32801 };
        var engine = await models.EngineAsync(cancellationToken);
        if (engine is null) return action with { Disabled = new CodeActionDisabled(models.Problem ?? "The model is not loaded.") };

        var problems = data.Diagnostics.Select(d => new FixDiagnostic(ToRange(d.Range), d.Message, CodeText(d.Code), d.Source)).ToList();
        if (problems.Count == 0) problems.Add(new FixDiagnostic(ToRange(data.Range), "rewrite this code correctly"));
        var fixSettings = new FixSettings { Candidates = _settings.FixCandidates };
        var proposer = new FixProposer(new ModelFixCandidates(engine, fixSettings, repository.Prompts), fixSettings, logger);
        var outcome = await proposer.ProposeAsync(document, problems, ToRange(data.Range), RoslynDocument(document), cancellationToken);
        if (!outcome.HasEdit)
        {
            await ShowMessageAsync(Spec.MessageWarning, $"Atlas: {outcome.Summary}");
            return action with { Disabled = new CodeActionDisabled(outcome.Summary) };
        }
        var edit = new WorkspaceEdit([new TextDocumentEdit(new OptionalVersionedTextDocumentIdentifier(outcome.Uri, outcome.Version), [new TextEdit(FromRange(outcome.Range!.Value), outcome.NewText!)])]);
        return action with { Edit = edit, IsPreferred = outcome.Verified };
    }

    private async Task<Suggestion?> SuggestAsync(TextDocument document, TextPosition position, CancellationToken cancellationToken)
    {
        if (!_settings.Enabled) return null;
        // Taken before the first wait, so a newer request for this document always cancels an older one.
        using var latest = completions.Supersede(document.Uri, cancellationToken);
        var clock = Stopwatch.StartNew();
        try
        {
            var engine = await models.EngineAsync(latest.Token);
            // A request whose $/cancelRequest was read before its answer was made is answered RequestCancelled, whatever
            // path it took. A cancel read later finds the answer made: a result already on its way, or the empty
            // answer of a request a newer one superseded (in a storm the newer request can come before the older
            // one's cancel is read). LSP allows both; the storm test pins down that every request gets one of them.
            cancellationToken.ThrowIfCancellationRequested();
            if (engine is null) return null;
            var queuedMs = clock.Elapsed.TotalMilliseconds;
            var suggestion = await completions.SuggestAsync(engine, document, position, _settings.Completion, latest.Token);
            OnSuggestion?.Invoke(suggestion);
            // For clients with a status display (the VS Code extension); others ignore unknown notifications.
            _ = NotifyAsync("atlas/status", new { model = engine.Info.ModelName, draft = engine.Info.DraftModelName, latencyMs = suggestion.TotalMs + queuedMs, acceptance = suggestion.Timings?.AcceptanceRate, loading = false });
            // One line per answer: what is shown, which stage dropped or cut the model's text and why, every stage's
            // time and, when a draft speculates, its acceptance.
            logger.LogInformation("Completion {Uri}:{Position}: {Chars} chars from the {Source}{Why} in {Total:F1} ms (model wait {Wait:F1} ms, post-processing {Post:F1} ms){Engine}",
                document.Uri, position, suggestion.Text?.Length ?? 0, suggestion.FromCache ? "cache" : "model", suggestion.Why is { } why ? $" ({why})" : "",
                suggestion.TotalMs + queuedMs, queuedMs, suggestion.TotalMs - suggestion.EngineMs, suggestion.Timings is { } t ? $"; engine: {t}" : "");
            cancellationToken.ThrowIfCancellationRequested();
            return suggestion;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Superseded by a newer request for the same document: this answer is no longer wanted.
            return null;
        }
    }

    private (TextDocument, TextPosition) Locate(TextDocumentIdentifier identifier, Position position)
    {
        var document = documents.Get(identifier.Uri) ?? throw InvalidParams($"Document not open: {identifier.Uri}");
        var at = new TextPosition(position.Line, position.Character);
        if (!document.Contains(at)) throw InvalidParams($"Position {at} is outside {identifier.Uri} ({document.LineCount} lines).");
        return (document, at);
    }

    private void ApplySettings(JsonElement? json, bool loadNow)
    {
        var (settings, problems) = AtlasSettings.From(json, _settings);
        _settings = settings;
        foreach (var problem in problems)
        {
            logger.LogWarning("Setting ignored: {Problem}", problem);
            _ = ShowMessageAsync(Spec.MessageWarning, $"Atlas: setting ignored: {problem}");
        }
        if (loadNow) Reload();
    }

    private void Reload()
    {
        if (_settings.Engine is null)
        {
            // An unset or empty atlas.model: without a word the user would get empty completions forever.
            _ = models.Configure(null, null, null);
            if (!_toldNoModel) _ = ShowMessageAsync(Spec.MessageWarning, $"Atlas: {NoModel}");
            _toldNoModel = true;
            _ = NotifyAsync("atlas/status", new { loading = false, problem = NoModel });
            return;
        }
        _toldNoModel = false;
        var token = $"atlas-load-{Interlocked.Increment(ref _progressCount)}";
        var progress = _clientShowsProgress && models.IsNew(_settings.Engine) ? new ClientProgress(this, token) : null;
        progress?.Begin($"Loading {Path.GetFileName(_settings.Model)}");
        var load = models.Configure(_settings.Engine, progress, problem => _ = ShowMessageAsync(Spec.MessageError, $"Atlas: {problem}"), UseModel);
        _ = load.ContinueWith(t => progress?.End(t.Result is null ? "Model not loaded" : "Model loaded"), TaskScheduler.Default);
        // A status display (VS Code's status bar) shows the model once it is ready, not only after the first completion.
        _ = load.ContinueWith(t => NotifyAsync("atlas/status", new { model = t.Result?.Info.ModelName, draft = t.Result?.Info.DraftModelName, loading = false, problem = models.Problem ?? "" }), TaskScheduler.Default);
    }

    /// <summary>Holds the settings to the loaded model's context window, then sizes the prompt budget in its tokens.</summary>
    private void UseModel(CompletionEngine engine)
    {
        var (settings, problem) = _settings.FitTo(engine.Info.ContextSize);
        if (problem is not null)
        {
            _settings = settings;
            logger.LogWarning("Setting changed: {Problem}", problem);
            _ = ShowMessageAsync(Spec.MessageWarning, $"Atlas: {problem}.");
        }
        repository.UseModel(engine.Model.CountTokens, settings.Budget with { TotalTokens = engine.Info.ContextSize - settings.MaxTokens });
    }

    /// <summary>
    /// The settings name a catalog model that is not downloaded yet: ask the user (it may be gigabytes), and if they
    /// agree download it as `atlas-lsp models pull` would (resumable, checksum-verified), with progress. Null when
    /// they decline or the client cannot ask; the load then fails with the `models pull` hint.
    /// </summary>
    private async Task<string?> OfferDownloadAsync(Atlas.Models.CatalogModel model)
    {
        if (_rpc is null) return null;
        const string download = "Download";
        MessageActionItem? choice;
        try
        {
            choice = await _rpc.InvokeWithParameterObjectAsync<MessageActionItem?>("window/showMessageRequest", new ShowMessageRequestParams(Spec.MessageInfo,
                $"Atlas: the model {model.Name} ({model.ApproximateBytes / 1e9:F1} GB, {model.Repository}) is not downloaded yet. Download it now?",
                [new MessageActionItem(download), new MessageActionItem("Not now")]));
        }
        catch (Exception e) when (e is RemoteInvocationException or ConnectionLostException or ObjectDisposedException or JsonException)
        {
            return null;
        }
        if (choice?.Title != download) return null;

        var progress = _clientShowsProgress ? new ClientProgress(this, $"atlas-download-{Interlocked.Increment(ref _progressCount)}") : null;
        progress?.Begin($"Downloading {model.Name}");
        logger.LogInformation("Downloading {Model} from {Repository}/{File}", model.Name, model.Repository, model.File);
        try
        {
            using var http = Atlas.Models.HubDownloader.NewHttpClient();
            var path = await new Atlas.Models.HubDownloader(http, Atlas.Models.ModelCache.Default())
                .PullAsync(model, progress is null ? null : new DownloadFraction(progress), CancellationToken.None).ConfigureAwait(false);
            logger.LogInformation("Downloaded {Model} to {Path}", model.Name, path);
            progress?.End("Downloaded");
            return path;
        }
        catch (Atlas.Models.ModelDownloadException)
        {
            progress?.End("Download failed");
            throw;
        }
    }

    /// <summary>Download progress as the fraction a work-done progress report shows.</summary>
    private sealed class DownloadFraction(IProgress<float> fraction) : IProgress<Atlas.Models.DownloadProgress>
    {
        public void Report(Atlas.Models.DownloadProgress value)
        {
            if (value.Total is > 0 and var total) fraction.Report((float)value.Bytes / total);
        }
    }

    internal Task NotifyAsync(string method, object parameters) =>
        _rpc is null ? Task.CompletedTask : IgnoreDisconnect(_rpc.NotifyWithParameterObjectAsync(method, parameters));

    internal Task RequestAsync(string method, object parameters) =>
        _rpc is null ? Task.CompletedTask : IgnoreDisconnect(_rpc.InvokeWithParameterObjectAsync(method, parameters));

    private Task ShowMessageAsync(int type, string message) => NotifyAsync("window/showMessage", new ShowMessageParams(type, message));

    private static async Task IgnoreDisconnect(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is ConnectionLostException or ObjectDisposedException or RemoteInvocationException)
        {
        }
    }

    /// <summary>
    /// A C# file in the repository's Roslyn view, which knows the types of the other files (a standalone document would
    /// report every one of them as missing); null for other languages and files outside the workspace.
    /// </summary>
    private Microsoft.CodeAnalysis.Document? RoslynDocument(TextDocument document) =>
        Atlas.Fixes.Targets.FixTarget.IsCSharp(document) && Atlas.Context.Workspace.WorkspaceIndex.TryLocalPath(document.Uri, out var path)
            ? repository.CSharp.Document(path, document.Text)
            : null;

    private static async Task<IReadOnlyList<Diagnostic>> CompilerDiagnosticsAsync(Microsoft.CodeAnalysis.Document roslyn, TextDocument document, TextRange range, List<Diagnostic> known, CancellationToken cancellationToken)
    {
        var model = await roslyn.GetSemanticModelAsync(cancellationToken);
        if (model is null) return [];
        var start = document.OffsetAt(range.Start);
        var end = document.OffsetAt(range.End);
        var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(Math.Max(0, start - 1), Math.Min(document.Text.Length, Math.Max(end, start + 1)));
        return [.. model.GetDiagnostics(span, cancellationToken)
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            .Where(d => !known.Any(k => CodeText(k.Code) == d.Id))
            .Select(d => new Diagnostic(
                FromRange(new TextRange(document.PositionAt(d.Location.SourceSpan.Start), document.PositionAt(d.Location.SourceSpan.End))),
                d.GetMessage(), JsonSerializer.SerializeToElement(d.Id), "roslyn", 1))];
    }

    private static IEnumerable<string> WorkspaceFolders(InitializeParams parameters)
    {
        var uris = new List<string>();
        if (parameters.WorkspaceFolders is { ValueKind: JsonValueKind.Array } folders)
            uris.AddRange(folders.EnumerateArray().Select(f => f.TryGetProperty("uri", out var u) ? u.GetString() : null).OfType<string>());
        else if (parameters.RootUri is { } root)
            uris.Add(root);
        foreach (var uri in uris)
            if (Atlas.Context.Workspace.WorkspaceIndex.TryLocalPath(uri, out var path)) yield return path;
    }

    private static string? CodeText(JsonElement? code) => code switch
    {
        { ValueKind: JsonValueKind.String } c => c.GetString(),
        { ValueKind: JsonValueKind.Number } c => c.GetRawText(),
        _ => null,
    };

    private static LocalRpcException InvalidParams(string message) => new(message) { ErrorCode = (int)JsonRpcErrorCode.InvalidParams };

    private static bool Flag(JsonElement? root, params string[] path)
    {
        if (root is not { ValueKind: JsonValueKind.Object } node) return false;
        foreach (var name in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)) return false;
        }
        return node.ValueKind is JsonValueKind.True or JsonValueKind.Object;
    }

    private static TextRange ToRange(Range r) => new(ToPosition(r.Start), ToPosition(r.End));
    private static TextPosition ToPosition(Position p) => new(p.Line, p.Character);
    private static Position ToPosition(TextPosition p) => new(p.Line, p.Character);
    private static Range FromRange(TextRange r) => new(ToPosition(r.Start), ToPosition(r.End));

    /// <summary>What a listed fix carries to its resolve.</summary>
    public sealed record FixRequestData(string Uri, int Version, Range Range, Diagnostic[] Diagnostics);

    /// <summary>
    /// $/progress for a model load, when the client shows work-done progress. Messages go out in order: the token is
    /// created (a request the client answers) before begin, reports and end follow it.
    /// </summary>
    private sealed class ClientProgress(LanguageServer server, string token) : IProgress<float>
    {
        private readonly Lock _gate = new();
        private Task _sent = Task.CompletedTask;
        private int _lastPercent = -1;

        public void Begin(string title) => Then(async () =>
        {
            await server.RequestAsync("window/workDoneProgress/create", new WorkDoneProgressCreateParams(token));
            await server.NotifyAsync("$/progress", new ProgressParams(token, new { kind = "begin", title, percentage = 0 }));
        });

        public void Report(float value)
        {
            var percent = (int)(value * 100);
            if (percent == Interlocked.Exchange(ref _lastPercent, percent)) return;
            Then(() => server.NotifyAsync("$/progress", new ProgressParams(token, new { kind = "report", percentage = percent })));
        }

        public void End(string message) => Then(() => server.NotifyAsync("$/progress", new ProgressParams(token, new { kind = "end", message })));

        private void Then(Func<Task> send)
        {
            lock (_gate) _sent = _sent.ContinueWith(_ => send(), TaskScheduler.Default).Unwrap();
        }
    }
}
