using System.Collections;
using Cleanroom.Errors;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Api.Errors;

/// <summary>
/// The single mapping from what a service throws to what a client sees, used by both the gRPC interceptor and the
/// Connect adapter. Stable codes pass through; anything else is a bug, logged here in full and sent as a
/// generic internal error so that no stack trace or exception text leaves the server.
/// </summary>
public static class WireErrorMapper
{
    public static WireError Map(Exception exception, ILogger logger, bool deadlineExceeded = false)
    {
        switch (exception)
        {
            case CleanroomException ce:
                return WireError.Create(StableCodeStatus.For(ce.Code), ce.Code, ce.Message, StringData(ce.Data));
            case RpcException rpc:
                return FromRpcException(rpc);
            case Google.Protobuf.InvalidProtocolBufferException malformed:
                // A client stream's later message that does not parse: the client's mistake, not the server's.
                return WireError.Create(StatusCode.InvalidArgument, ErrorCode.InvalidArgument, $"a request message is not valid protobuf: {malformed.Message}");
            case OperationCanceledException when deadlineExceeded:
                return WireError.Create(StatusCode.DeadlineExceeded, "deadline_exceeded", "the call's deadline passed");
            case OperationCanceledException:
                return WireError.Create(StatusCode.Cancelled, "canceled", "the call was canceled");
            default:
                logger.LogError(exception, "Unhandled exception in an API handler; the client sees a generic internal error");
                return WireError.Create(StatusCode.Internal, ApiErrorCode.Internal,
                    "the server failed unexpectedly; see the server log");
        }
    }

    /// <summary>A service that throws RpcException keeps its status; an ErrorInfo is added when it has none.</summary>
    private static WireError FromRpcException(RpcException rpc)
    {
        var existing = rpc.GetRpcStatus();
        if (existing is not null)
        {
            var reason = WireErrorReader.ReasonOf(existing) ?? StableCodeStatus.FallbackFor(rpc.StatusCode);
            return new WireError(rpc.StatusCode, reason, rpc.Status.Detail, existing);
        }
        return WireError.Create(rpc.StatusCode, StableCodeStatus.FallbackFor(rpc.StatusCode), rpc.Status.Detail);
    }

    // Components attach context (host, port, backend) as string entries of Exception.Data; only strings travel.
    private static IEnumerable<KeyValuePair<string, string>> StringData(IDictionary data)
    {
        foreach (DictionaryEntry entry in data)
            if (entry.Key is string key && entry.Value is string value)
                yield return new(key, value);
    }
}
