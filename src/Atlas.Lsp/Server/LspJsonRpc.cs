using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Atlas.Lsp.Server;

/// <summary>
/// StreamJsonRpc with LSP's error codes: parameters that do not deserialize are InvalidParams (-32602), as the
/// JSON-RPC specification says, rather than StreamJsonRpc's generic invocation error.
/// </summary>
internal sealed class LspJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
{
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
