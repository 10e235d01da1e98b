using System.Text.Json;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Atlas.Lsp.Server;

/// <summary>
/// StreamJsonRpc with LSP's error codes: parameters that do not deserialize are InvalidParams (-32602), as the
/// JSON-RPC specification says, rather than StreamJsonRpc's generic invocation error. Every log line written while a
/// request is handled carries its id (a logging scope), so a request's stages can be followed in the log.
/// </summary>
internal sealed class LspJsonRpc(IJsonRpcMessageHandler handler, ILogger logger) : JsonRpc(handler)
{
    protected override async ValueTask<JsonRpcMessage> DispatchRequestAsync(JsonRpcRequest request, TargetMethod targetMethod, CancellationToken cancellationToken)
    {
        using var scope = request.IsResponseExpected ? logger.BeginScope("request {Id}", request.RequestId) : null;
        return await base.DispatchRequestAsync(request, targetMethod, cancellationToken);
    }

    /// <summary>
    /// The error a failed request gets: never a stack trace (StreamJsonRpc puts the exception's type and stack in
    /// error.data; the log on stderr has them instead). Params that do not deserialize, or that lack a field the
    /// handler needs (it met a null), are Invalid params.
    /// </summary>
    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        var details = base.CreateErrorDetails(request, exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException)
                return new JsonRpcError.ErrorDetail { Code = JsonRpcErrorCode.InvalidParams, Message = $"Invalid params: {Missing(request.Method, e.Message)}" };
            if (e is NullReferenceException)
            {
                logger.LogWarning(e, "{Method}: a field its params need is missing or null", request.Method);
                return new JsonRpcError.ErrorDetail { Code = JsonRpcErrorCode.InvalidParams, Message = $"Invalid params: {request.Method} needs a field its params lack or leave null (textDocument, position, range?)." };
            }
        }
        if (details.Code is not (JsonRpcErrorCode.RequestCanceled or JsonRpcErrorCode.InvalidParams or JsonRpcErrorCode.InvalidRequest or JsonRpcErrorCode.MethodNotFound))
            logger.LogWarning(exception, "{Method} failed", request.Method);
        return new JsonRpcError.ErrorDetail { Code = details.Code, Message = details.Message };
    }

    /// <summary>System.Text.Json's "type 'Atlas…Params' was missing required properties including: 'position'", said in the protocol's words.</summary>
    private static string Missing(string? method, string message) =>
        System.Text.RegularExpressions.Regex.Match(message, "missing required properties including: (.+?)\\.?$") is { Success: true } match
            ? $"{method} needs {match.Groups[1].Value}, which its params lack."
            : message;
}
