using System.Diagnostics;
using System.Text.Json;
using Atlas.Completion;
using Atlas.Completion.Acceptance;
using Atlas.Completion.Pacing;
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
    private readonly AcceptanceLedger _ledger = new();
    // Work made ahead of a request (the suggestion after a shown one) runs under this; every real request cancels it.
    private CancellationTokenSource _ahead = new();
    private int _inFlight;
    private bool _clientReportsShows;
    private Offered? _lastOffered;
    private string? _madeAheadFor;
    private string _slow = "";

    /// <summary>The last suggestion the server offered, whose follower it may make ahead.</summary>
    private sealed record Offered(string Id, TextDocument Document, Suggestion Suggestion);

    /// <summary>The commands the server runs for a client (workspace/executeCommand).</summary>
    public const string AcceptedCommand = "atlas.accepted", StatsCommand = "atlas.stats";
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
                CodeActionProvider: new CodeActionOptions(["quickfix"], ResolveProvider: true),
                ExecuteCommandProvider: new ExecuteCommandOptions([AcceptedCommand, StatsCommand])),
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
        _ahead.Cancel();
        return null;
    }

    [JsonRpcMethod("exit")]
    public void Exit()
    {
        _stopping.Cancel();
        _ahead.Cancel();
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
        // LSP 3.18 InlineCompletionTriggerKind: 1 the user asked, 2 automatic (a client that says nothing types).
        var trigger = TriggerKind(parameters.Context) == Spec.InlineTriggerInvoked ? CompletionTrigger.Invoked : CompletionTrigger.Automatic;
        if (trigger == CompletionTrigger.Invoked && _settings.Candidates > 1) return await CandidatesAsync(document, position, cancellationToken);
        var suggestion = await SuggestAsync(document, position, trigger, cancellationToken);
        if (suggestion?.Text is not { } text) return new InlineCompletionList([]);
        var replaced = new Position(position.Line, position.Character + suggestion.ReplacedLength);
        return new InlineCompletionList([new InlineCompletionItem(text, new Range(ToPosition(position), replaced), Command: Offer(document, suggestion))]);
    }

    /// <summary>
    /// Records an offered suggestion and returns the command its item carries: the client runs it when the user
    /// accepts the suggestion, which is how the server learns of accepts. For a client that does not say what it
    /// shows, the answer itself counts as shown, and the suggestion after it is made ahead now.
    /// </summary>
    private Command Offer(TextDocument document, Suggestion suggestion)
    {
        var command = Offer(document, suggestion.Text!, out var id);
        _lastOffered = new Offered(id, document, suggestion);
        if (!_clientReportsShows) _ = MakeAheadAsync(_lastOffered);
        return command;
    }

    /// <summary>Records an offered text that nothing is made ahead for (one of several candidates).</summary>
    private Command Offer(TextDocument document, string text, out string id)
    {
        id = _ledger.Offer(document.LanguageId, text);
        return new Command("Atlas: suggestion accepted", AcceptedCommand, [JsonSerializer.SerializeToElement(id)]);
    }

    private static int? TriggerKind(JsonElement? context) =>
        context is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty("triggerKind", out var kind) && kind.ValueKind == JsonValueKind.Number && kind.TryGetInt32(out var k) ? k : null;

    [JsonRpcMethod("textDocument/didShowCompletion", UseSingleObjectParameterDeserialization = true)]
    public void DidShowCompletion(DidShowCompletionParams parameters)
    {
        if (ItemId(parameters.Item) is not { } id)
        {
            logger.LogWarning("Ignored textDocument/didShowCompletion: its item carries no Atlas id (item.command.arguments[0]).");
            return;
        }
        _clientReportsShows = true;
        if (!_ledger.Shown(id)) logger.LogDebug("didShowCompletion for {Id}, which this session did not offer or has forgotten", id);
        else if (_lastOffered is { } last && last.Id == id) _ = MakeAheadAsync(last);
    }

    [JsonRpcMethod("textDocument/didPartiallyAcceptCompletion", UseSingleObjectParameterDeserialization = true)]
    public void DidPartiallyAcceptCompletion(DidPartiallyAcceptCompletionParams parameters)
    {
        if (ItemId(parameters.Item) is not { } id || parameters.AcceptedLength < 0)
        {
            logger.LogWarning("Ignored textDocument/didPartiallyAcceptCompletion: it needs an item with an Atlas id and an acceptedLength of 0 or more.");
            return;
        }
        if (_ledger.PartiallyAccepted(id, parameters.AcceptedLength)) _ = NotifyAsync("atlas/status", new { stats = Stats() });
        else logger.LogDebug("didPartiallyAcceptCompletion for {Id}, which this session did not offer or has forgotten", id);
    }

    [JsonRpcMethod("workspace/executeCommand", UseSingleObjectParameterDeserialization = true)]
    public object? ExecuteCommand(ExecuteCommandParams parameters)
    {
        switch (parameters.Command)
        {
            case AcceptedCommand:
                if (parameters.Arguments is not [{ ValueKind: JsonValueKind.String } argument])
                    throw InvalidParams($"{AcceptedCommand} needs the suggestion's id as its one argument, as the item's command carries it.");
                if (_ledger.Accepted(argument.GetString()!)) _ = NotifyAsync("atlas/status", new { stats = Stats() });
                else logger.LogDebug("{Command} for {Id}, which this session did not offer or has forgotten", AcceptedCommand, argument.GetString());
                return null;
            case StatsCommand:
                return Stats();
            default:
                throw InvalidParams($"Unknown command '{parameters.Command}': Atlas runs {AcceptedCommand} and {StatsCommand}.");
        }
    }

    /// <summary>The id an item carries as the first argument of its command, as the server sent it.</summary>
    private static string? ItemId(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.Object
        && command.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.Array && arguments.GetArrayLength() > 0
        && arguments[0].ValueKind == JsonValueKind.String ? arguments[0].GetString() : null;

    /// <summary>
    /// The session's figures, as atlas.stats answers and atlas/status carries them: what became of the offered
    /// suggestions (all, by language, single against multi-line), where requests ended, and the recent latency.
    /// </summary>
    public object Stats()
    {
        var report = _ledger.Report();
        var counts = completions.Counts;
        var latency = completions.Latency.Current(_settings.SlowLatencyMs);
        static object Brief(AcceptanceFigures f) => new { offered = f.Offered, shown = f.Shown, accepted = f.Accepted, partiallyAccepted = f.PartiallyAccepted, acceptRate = f.AcceptRate };
        var all = report.All;
        return new
        {
            offered = all.Offered,
            shown = all.Shown,
            accepted = all.Accepted,
            partiallyAccepted = all.PartiallyAccepted,
            shownChars = all.ShownChars,
            acceptedChars = all.AcceptedChars,
            acceptRate = all.AcceptRate,
            byLanguage = report.ByLanguage.ToDictionary(l => l.Key, l => Brief(l.Value)),
            singleLine = Brief(report.SingleLine),
            multiLine = Brief(report.MultiLine),
            requests = counts.Requests,
            fromCache = counts.FromCache,
            debounced = counts.Debounced,
            modelRuns = counts.ModelRuns,
            madeAhead = counts.Prepared,
            madeAheadUsed = counts.PreparedUsed,
            latency = new { requests = latency.Requests, p50Ms = Math.Round(latency.P50Ms), p95Ms = Math.Round(latency.P95Ms), hitTimeBudget = latency.HitTimeBudget, slowLatencyMs = _settings.SlowLatencyMs },
        };
    }

    /// <summary>
    /// Makes, at the lowest priority, the suggestion that follows <paramref name="offered"/> once it is accepted, so the
    /// request after an accept is answered from the cache. Only while no real request runs; any real request cancels it.
    /// </summary>
    private async Task MakeAheadAsync(Offered offered)
    {
        if (!_settings.PrecomputeNext || !_settings.Enabled || _inFlight > 0 || _madeAheadFor == offered.Id) return;
        _madeAheadFor = offered.Id;
        var ahead = new CancellationTokenSource();
        var older = Interlocked.Exchange(ref _ahead, ahead);
        await older.CancelAsync();
        try
        {
            // Let the answer that offered it go out first.
            await Task.Yield();
            var engine = await models.EngineAsync(ahead.Token);
            if (engine is null || documents.Get(offered.Document.Uri)?.Version != offered.Document.Version) return;
            var next = await completions.PrepareNextAsync(engine, offered.Document, offered.Suggestion, _settings.Completion, ahead.Token);
            logger.LogInformation("Made ahead for {Uri}: {Chars} chars for the cursor after accepting the shown suggestion{Why} in {Total:F1} ms",
                offered.Document.Uri, next?.Text?.Length ?? 0, next?.Why is { } why ? $" ({why})" : "", next?.TotalMs ?? 0);
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("Making ahead for {Uri} stopped: a request came", offered.Document.Uri);
        }
        catch (Exception e)
        {
            logger.LogWarning("Making the next suggestion ahead failed: {Message}", e.Message);
        }
    }

    /// <summary>
    /// An explicit request: up to atlas.candidates different suggestions, best first (for C#, by Roslyn's checks). It
    /// supersedes and is superseded like any request for the document.
    /// </summary>
    private async Task<InlineCompletionList> CandidatesAsync(TextDocument document, TextPosition position, CancellationToken cancellationToken)
    {
        if (!_settings.Enabled) return new InlineCompletionList([]);
        using var latest = completions.Supersede(document.Uri, cancellationToken);
        await _ahead.CancelAsync();
        _inFlight++;
        try
        {
            var engine = await models.EngineAsync(latest.Token);
            cancellationToken.ThrowIfCancellationRequested();
            if (engine is null) return new InlineCompletionList([]);
            var answer = await completions.SuggestCandidatesAsync(engine, document, position, _settings.Completion, _settings.Candidates, NewCompileErrorsAsync, latest.Token);
            OnCandidates?.Invoke(answer);
            logger.LogInformation("Candidates {Uri}:{Position}: {Count} shown (model ranks {Ranks}{Reordered}) in {Total:F1} ms (engine {Engine:F1} ms for {Written} answers)",
                document.Uri, position, answer.Ordered.Count, string.Join(",", answer.Ordered.Select(c => c.ModelRank)), answer.Reordered ? ", reordered by the language's checks" : "",
                answer.TotalMs, answer.EngineMs, answer.Written.Count);
            cancellationToken.ThrowIfCancellationRequested();
            // Nothing is made ahead of one of several candidates: which one the user takes is not known.
            var items = answer.Ordered.Select(c => new InlineCompletionItem(c.Text, new Range(ToPosition(position), new Position(position.Line, position.Character + c.ReplacedLength)),
                Command: Offer(document, c.Text, out _))).ToArray();
            _ = NotifyAsync("atlas/status", new { stats = Stats(), slow = _slow });
            return new InlineCompletionList(items);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Superseded by a newer request for the same document.
            return new InlineCompletionList([]);
        }
        finally
        {
            _inFlight--;
        }
    }

    /// <summary>Roslyn's compile check of C# candidates, where the file is in the repository's view; null elsewhere.</summary>
    private async Task<IReadOnlyList<bool?>?> NewCompileErrorsAsync(TextDocument document, int offset, IReadOnlyList<(string Text, int ReplacedLength)> candidates, CancellationToken cancellationToken) =>
        // A file too large to index is not bound for context either: binding it would take longer than the budget.
        document.Text.Length <= Atlas.Context.Workspace.WorkspaceIndex.MaxFileBytes && RoslynDocument(document) is { } roslyn
            ? await CompletionCompileCheck.NewErrorsAsync(roslyn, offset, candidates, CompletionCompileCheck.DefaultBudget, cancellationToken)
            : null;

    /// <summary>Called by each explicit request with its candidates (benchmarks read them).</summary>
    public Action<CandidateSuggestions>? OnCandidates { get; set; }

    [JsonRpcMethod("textDocument/completion", UseSingleObjectParameterDeserialization = true)]
    public async Task<CompletionList> Completion(CompletionParams parameters, CancellationToken cancellationToken)
    {
        var (document, position) = Locate(parameters.TextDocument, parameters.Position);
        // CompletionTriggerKind 1: invoked (typed or asked; menu clients such as Helix wait for an idle moment themselves).
        var trigger = TriggerKind(parameters.Context) is 2 or 3 ? CompletionTrigger.Automatic : CompletionTrigger.Invoked;
        var suggestion = await SuggestAsync(document, position, trigger, cancellationToken);
        if (suggestion?.Text is not { } text) return new CompletionList(IsIncomplete: true, []);

        // Menus filter by the word being typed, so the item replaces that word with word + suggestion.
        var line = document.LineText(position.Line);
        var wordStart = position.Character;
        while (wordStart > 0 && (char.IsLetterOrDigit(line[wordStart - 1]) || line[wordStart - 1] == '_')) wordStart--;
        var word = line[wordStart..position.Character];
        // A suggestion of the next line (at the end of a line) is labelled with that line.
        var lead = text.Length - text.TrimStart().Length;
        var firstLine = (text[..lead].Contains('\n') ? text[lead..] : text).Split('\n')[0].TrimEnd('\r');
        var label = word + firstLine;
        var edit = new TextEdit(new Range(new Position(position.Line, wordStart), new Position(position.Line, position.Character + suggestion.ReplacedLength)), word + text);
        var item = new CompletionItem(label, Spec.CompletionKindText, "Atlas", "0000", label, word + text, Spec.InsertTextPlain, edit, Preselect: true,
            text.Contains('\n') ? new MarkupContent("plaintext", text) : null, Offer(document, suggestion));
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
        // The user asked for a fix: it comes before a suggestion made ahead of a request.
        await _ahead.CancelAsync();
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

    private async Task<Suggestion?> SuggestAsync(TextDocument document, TextPosition position, CompletionTrigger trigger, CancellationToken cancellationToken)
    {
        if (!_settings.Enabled) return null;
        // Taken before the first wait, so a newer request for this document always cancels an older one.
        using var latest = completions.Supersede(document.Uri, cancellationToken);
        // A real request comes before anything made ahead of one.
        await _ahead.CancelAsync();
        _inFlight++;
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
            var suggestion = await completions.SuggestAsync(engine, document, position, _settings.Completion, latest.Token, trigger);
            OnSuggestion?.Invoke(suggestion);
            if (suggestion.LatencyTurn is { } turn) TellLatency(turn, engine);
            // For clients with a status display (the VS Code extension); others ignore unknown notifications.
            _ = NotifyAsync("atlas/status", new
            {
                model = engine.Info.ModelName, draft = engine.Info.DraftModelName, latencyMs = suggestion.TotalMs + queuedMs - suggestion.DebounceMs,
                acceptance = suggestion.Timings?.AcceptanceRate, loading = false, stats = Stats(), slow = _slow,
            });
            // One line per answer: what is shown, which stage dropped or cut the model's text and why, every stage's
            // time and, when a draft speculates, its acceptance.
            logger.LogInformation("Completion {Uri}:{Position}: {Chars} chars from the {Source}{Why} in {Total:F1} ms (model wait {Wait:F1} ms, {Debounce}post-processing {Post:F1} ms){Engine}",
                document.Uri, position, suggestion.Text?.Length ?? 0, suggestion.FromCache ? suggestion.Prepared ? "cache (made ahead)" : "cache" : "model", suggestion.Why is { } why ? $" ({why})" : "",
                suggestion.TotalMs + queuedMs, queuedMs, suggestion.DebounceMs > 0 ? $"waited {suggestion.DebounceMs:F0} ms for keystrokes, " : "",
                suggestion.TotalMs - suggestion.EngineMs - suggestion.DebounceMs, suggestion.Timings is { } t ? $"; engine: {t}" : "");
            cancellationToken.ThrowIfCancellationRequested();
            return suggestion;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Superseded by a newer request for the same document (while it waited for keystrokes, or in the model):
            // this answer is no longer wanted.
            return null;
        }
        finally
        {
            _inFlight--;
        }
    }

    /// <summary>
    /// Tells the user, once per slow spell, that completions are slow here, with the figures and what would help;
    /// the status display shows it until the latency is back to normal.
    /// </summary>
    private void TellLatency(LatencyVerdict verdict, CompletionEngine engine)
    {
        if (!verdict.IsSlow)
        {
            _slow = "";
            logger.LogInformation("Completions are fast enough again: median {P50:F0} ms over the last {Count}", verdict.P50Ms, verdict.Requests);
            return;
        }
        var help = new List<string> { "a smaller model (`atlas-lsp models list` shows the catalog)" };
        if (engine.Info.DraftModelName is null) help.Add("a draft model for speculative decoding (atlas.draftModel)");
        if (!engine.Info.AdaptiveThreads) help.Add($"fewer threads while other programs keep the CPU busy (atlas.threads is {engine.Info.Threads}; unset, Atlas gives way to them itself)");
        if (verdict.TooManyTimeouts) help.Add($"a smaller atlas.maxTokens ({_settings.MaxTokens} now)");
        if (_settings.GpuLayers == 0) help.Add("a GPU backend (LLamaSharp.Backend.Cuda12 and atlas.gpuLayers)");
        _slow = $"completions are slow here: the last {verdict.Requests} took {verdict.P50Ms:N0} ms (median; p95 {verdict.P95Ms:N0} ms; atlas.slowLatencyMs is {_settings.SlowLatencyMs:N0})" +
            (verdict.HitTimeBudget > 0 ? $", and {verdict.HitTimeBudget} of them ran out of the {_settings.TimeBudgetMs:N0} ms time budget" : "") +
            $". What would help: {string.Join("; ", help)}.";
        logger.LogWarning("{Slow}", _slow);
        _ = ShowMessageAsync(Spec.MessageWarning, $"Atlas: {_slow}");
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
