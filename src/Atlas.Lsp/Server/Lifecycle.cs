namespace Atlas.Lsp.Server;

/// <summary>
/// LSP's session states and what each lets through: before initialize, a request gets ServerNotInitialized (-32002)
/// and a notification is dropped (exit excepted); initialize comes once; after shutdown, every request gets
/// InvalidRequest and only exit is still heard. The one place that decides it: the transport asks for every incoming
/// request and notification before StreamJsonRpc sees it, so unknown methods are held to it too.
/// </summary>
public sealed class Lifecycle
{
    public const int ServerNotInitialized = -32002;

    /// <summary>Why a message may not run now: the error code a request gets, and the message (the log's too).</summary>
    public sealed record Refusal(int Code, string Message);

    private enum State { Created, Running, ShutDown }

    private volatile State _state = State.Created;

    /// <summary>Shutdown was let through: exit then ends the process with 0 rather than 1.</summary>
    public bool ShutdownRequested => _state == State.ShutDown;

    /// <summary>
    /// Null when <paramref name="method"/> may run now (and the state moves on when it is initialize or shutdown);
    /// otherwise what a request gets. A notification refused here is dropped.
    /// </summary>
    public Refusal? Admit(string method)
    {
        var refusal = (_state, method) switch
        {
            (_, "exit") => null,
            (State.Created, "initialize") => null,
            (State.Created, _) => new Refusal(ServerNotInitialized, $"Server not initialized: {method} came before initialize."),
            (State.Running, "initialize") => new Refusal(Envelope.InvalidRequest, "Invalid Request: initialize was already sent in this session."),
            (State.Running, _) => null,
            _ => new Refusal(Envelope.InvalidRequest, $"Invalid Request: {method} came after shutdown; only exit is accepted now."),
        };
        if (refusal is null && method == "initialize") _state = State.Running;
        else if (refusal is null && method == "shutdown") _state = State.ShutDown;
        return refusal;
    }
}
