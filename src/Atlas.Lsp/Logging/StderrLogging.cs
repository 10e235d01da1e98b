using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Atlas.Lsp.Logging;

/// <summary>
/// Every log line goes to stderr: stdout belongs to the protocol (and to a command's own output).
/// The level comes from ATLAS_LOG (trace, debug, information, warning, error), default information.
/// </summary>
public static class StderrLogging
{
    public static ILoggerFactory Create(LogLevel? level = null) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level ?? LevelFromEnvironment());
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true; // the request id, when a request is being handled
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
    });

    public static LogLevel LevelFromEnvironment() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("ATLAS_LOG"), ignoreCase: true, out var level) ? level : LogLevel.Information;
}
