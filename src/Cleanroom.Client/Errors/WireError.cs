using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using RpcStatus = Google.Rpc.Status;

namespace Cleanroom.Api.Errors;

/// <summary>
/// An error as it goes on the wire, whichever protocol carries it: a status code, a message, and a
/// <c>google.rpc.Status</c> whose ErrorInfo names the stable code. Built once by <c>WireErrorMapper</c> (server side, Cleanroom.Api).
/// </summary>
public sealed record WireError(StatusCode Status, string Reason, string Message, RpcStatus Detail)
{
    /// <summary>An error whose ErrorInfo reason is <paramref name="reason"/> and message is "reason: message".</summary>
    public static WireError Create(StatusCode status, string reason, string message,
        IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var wireMessage = $"{reason}: {message}";
        var info = new ErrorInfo { Reason = reason, Domain = ApiErrorCode.Domain };
        if (metadata is not null)
            foreach (var (key, value) in metadata) info.Metadata[key] = value;
        var detail = new RpcStatus { Code = (int)status, Message = wireMessage, Details = { Any.Pack(info) } };
        return new WireError(status, reason, wireMessage, detail);
    }

    /// <summary>The gRPC form: status plus the <c>grpc-status-details-bin</c> trailer.</summary>
    public RpcException ToRpcException() => Detail.ToRpcException();
}
