using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Api.Errors;

/// <summary>
/// A server's error, rebuilt on the client: <see cref="CleanroomException.Code"/> is the stable code from the
/// ErrorInfo reason (or a fallback for errors without one), <see cref="Status"/> the RPC status it travelled as.
/// </summary>
public sealed class RemoteErrorException : CleanroomException
{
    /// <summary>A server error with stable <paramref name="code"/> that travelled as <paramref name="status"/>.</summary>
    public RemoteErrorException(string code, string message, StatusCode status,
        IReadOnlyDictionary<string, string> metadata, Exception? inner = null)
        : base(code, message, inner)
    {
        Status = status;
        Metadata = metadata;
        foreach (var (key, value) in metadata) Data[key] = value;
    }

    /// <summary>The gRPC status the error travelled as.</summary>
    public StatusCode Status { get; }

    /// <summary>The ErrorInfo metadata the server attached (host, port, backend, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
