using Atlas.Completion;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Lsp.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.VisualStudio.Threading;
using StreamJsonRpc;

namespace Atlas.Lsp.Server;

/// <summary>
/// Runs the language server over a pair of streams (stdin/stdout for editors, pipes for tests and benchmarks) until
/// the client sends exit or closes its end. Returns the process exit code LSP prescribes: 0 after shutdown and exit,
/// 1 otherwise.
/// </summary>
public sealed class ServerHost : IDisposable
{
    private readonly ILoggerFactory _logging;
    private readonly ClientLog _clientLog = new();
    private readonly ModelHost _models;

    /// <param name="defaults">Settings before the editor sends its own (the command line's default model).</param>
    /// <param name="models">The model host to use; by default one that loads what the settings name.</param>
    public ServerHost(ILoggerFactory logging, AtlasSettings? defaults = null, ModelHost? models = null)
    {
        _logging = logging;
        _logging.AddProvider(_clientLog);
        var logger = _logging.CreateLogger("atlas");
        _models = models ?? new ModelHost(logger);
        Documents = new DocumentStore();
        Repository = new RepositoryWorkspace(_logging.CreateLogger("atlas.context"));
        // Inline C# suggestions never add a syntax error: Roslyn's guard checks each one the model makes.
        var syntaxGuard = new Atlas.Fixes.Verification.CompletionSyntaxGuard();
        Documents.Closed += syntaxGuard.Forget;
        Completions = new CompletionService(Repository.Prompts, new SuggestionCache(), logger) { Check = syntaxGuard.Check };
        Server = new LanguageServer(Documents, _models, Completions, Repository, logger, defaults);
    }

    public DocumentStore Documents { get; }
    public RepositoryWorkspace Repository { get; }
    public CompletionService Completions { get; }
    public LanguageServer Server { get; }
    public ModelHost Models => _models;

    public async Task<int> RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        var logger = _logging.CreateLogger("atlas.transport");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lifecycle = new Lifecycle();
        var transport = new GuardedTransport(input, output, lifecycle, logger);
        transport.Start(stop.Token);

        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = Spec.Json };
        using var rpc = new LspJsonRpc(new HeaderDelimitedMessageHandler(transport.RpcOutput, transport.RpcInput, formatter), _logging.CreateLogger("atlas.rpc"))
        {
            // Handlers run one at a time, in arrival order, between their awaits: didChange is applied before a later
            // completion reads, and a newer completion supersedes an older one in the order they came.
            SynchronizationContext = new NonConcurrentSynchronizationContext(sticky: true),
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        rpc.AddLocalRpcTarget(Server, new JsonRpcTargetOptions { UseSingleObjectParameterDeserialization = true });
        Server.Attach(rpc);
        _clientLog.Send = (type, message) => Server.NotifyAsync("window/logMessage", new LogMessageParams(type, message));
        rpc.StartListening();

        var ended = await Task.WhenAny(Server.Exited.Task, transport.InputClosed, rpc.Completion);
        // An editor may close its end right after sending exit; the input's end then can win the race with the exit
        // notification still on its way through the dispatcher. A moment's wait lets it arrive, so the exit code
        // (0 after shutdown and exit, 1 otherwise, as LSP says) does not depend on that race.
        if (ended != Server.Exited.Task) await Task.WhenAny(Server.Exited.Task, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
        var exited = Server.Exited.Task.IsCompleted;
        _clientLog.Send = null;
        if (!exited) logger.LogInformation("The client closed the connection; exiting.");
        // Answers to requests sent before exit (the initialize and shutdown results of a client that sent everything
        // at once) were lost when the process ended first: let them be made, end StreamJsonRpc's output, and let what
        // it wrote reach the editor.
        await transport.AnsweredAsync(TimeSpan.FromSeconds(1));
        rpc.Dispose();
        await Task.WhenAny(transport.OutputDrained, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
        await stop.CancelAsync();
        return lifecycle.ShutdownRequested && exited ? 0 : 1;
    }

    public void Dispose() => _models.Dispose();
}
