using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Errors;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using RpcStatus = Google.Rpc.Status;

namespace Cleanroom.Api.Errors;

/// <summary>
/// The inverse of <c>WireErrorMapper</c> (server side, Cleanroom.Api) for clients: a gRPC RpcException or a Connect error becomes a
/// <see cref="CleanroomException"/> with the server's stable code, so the CLI handles both protocols alike.
/// </summary>
public static class WireErrorReader
{
    /// <summary>From a gRPC failure. A failure to reach <paramref name="address"/> becomes <see cref="ServerNotRunningException"/>.</summary>
    public static CleanroomException FromRpcException(RpcException exception, ApiAddress? address = null)
    {
        if (exception.StatusCode == StatusCode.Unavailable && exception.Status.DebugException is { } debug)
        {
            if (Find<ServerNotRunningException>(debug) is { } notRunning) return notRunning;
            if (address is not null && IsNothingListening(debug)) return new ServerNotRunningException(address, debug);
        }
        // A TLS handshake that failed (the server's certificate not trusted, or ours refused) says so and what to check,
        // rather than arriving as a bare internal error.
        if (exception.Status.DebugException is { } failed && Find<System.Security.Authentication.AuthenticationException>(failed) is { } tls)
            return new RemoteErrorException(ConnectCode.NameOf(StatusCode.Unavailable),
                $"the TLS handshake with {address?.ToString() ?? "the server"} failed (SSL: {tls.Message}); check --tls-ca (the CA of the server's certificate) and, for a server that verifies clients, --tls-cert and --tls-key",
                StatusCode.Unavailable, new Dictionary<string, string>(), exception);
        var status = exception.GetRpcStatus();
        var details = status?.Details ?? [];
        return Build(exception.StatusCode, status?.Message ?? exception.Status.Detail, details, exception);
    }

    /// <summary>From a unary Connect response that was not 200: its body is the error JSON, or something a proxy made.</summary>
    public static CleanroomException FromConnectError(int httpStatus, ReadOnlySpan<byte> body)
    {
        var parsed = ConnectErrorJson.Parse(body);
        if (parsed is null)
        {
            var status = ConnectCode.FromHttpStatus(httpStatus);
            return Build(status, $"HTTP {httpStatus} without a Connect error body", [], null);
        }
        return Build(parsed.Code, parsed.Message, parsed.Details, null);
    }

    /// <summary>From a parsed Connect error object (e.g. the "error" of a streaming end-of-stream message).</summary>
    public static CleanroomException FromConnectError(ConnectErrorJson.Body body) =>
        Build(body.Code, body.Message, body.Details, null);

    /// <summary>The stable code in a google.rpc.Status, if it carries a Cleanroom ErrorInfo.</summary>
    public static string? ReasonOf(RpcStatus status) => CleanroomInfo(status.Details)?.Reason;

    private static CleanroomException Build(StatusCode status, string message, IEnumerable<Any> details, Exception? inner)
    {
        var info = CleanroomInfo(details);
        var reason = info?.Reason ?? StableCodeStatus.FallbackFor(status);
        var prefix = reason + ": ";
        var text = message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
        var metadata = info?.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value) ?? new Dictionary<string, string>();
        return new RemoteErrorException(reason, text, status, metadata, inner);
    }

    private static ErrorInfo? CleanroomInfo(IEnumerable<Any> details)
    {
        foreach (var any in details)
            if (any.TryUnpack<ErrorInfo>(out var info) && info.Domain == ApiErrorCode.Domain)
                return info;
        return null;
    }

    private static bool IsNothingListening(Exception exception) =>
        Find<SocketException>(exception) is { } socket
        && socket.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable
            or SocketError.AddressFamilyNotSupported;

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is T match) return match;
        return null;
    }
}
