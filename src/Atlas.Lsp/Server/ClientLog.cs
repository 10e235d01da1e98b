using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Server;

/// <summary>
/// Mirrors log lines at information level and above to the editor as window/logMessage, once the connection is up
/// (stderr gets every line regardless).
/// </summary>
internal sealed class ClientLog : ILoggerProvider
{
    public Func<int, string, Task>? Send { get; set; }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(ClientLog sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && sink.Send is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var type = logLevel switch
            {
                >= LogLevel.Error => Protocol.Spec.MessageError,
                LogLevel.Warning => Protocol.Spec.MessageWarning,
                _ => Protocol.Spec.MessageInfo,
            };
            // Fire and forget: a log line must never hold up the request that wrote it.
            _ = sink.Send!(type, formatter(state, exception));
        }
    }
}
