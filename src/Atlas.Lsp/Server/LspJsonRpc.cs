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

    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        var details = base.CreateErrorDetails(request, exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException)
                return new JsonRpcError.ErrorDetail { Code = JsonRpcErrorCode.InvalidParams, Message = $"Invalid params: {e.Message}" };
        }
        return details;
    }
}
