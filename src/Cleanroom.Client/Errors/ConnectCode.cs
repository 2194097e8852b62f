using Grpc.Core;

namespace Cleanroom.Api.Errors;

/// <summary>
/// Connect's error code names and HTTP statuses, per the Connect protocol specification (after its RFC 003
/// amendment: canceled→499, deadline_exceeded→504, failed_precondition→400, unimplemented→501).
/// </summary>
public static class ConnectCode
{
    private static readonly (StatusCode Status, string Name, int Http)[] Codes =
    [
        (StatusCode.Cancelled, "canceled", 499),
        (StatusCode.Unknown, "unknown", 500),
        (StatusCode.InvalidArgument, "invalid_argument", 400),
        (StatusCode.DeadlineExceeded, "deadline_exceeded", 504),
        (StatusCode.NotFound, "not_found", 404),
        (StatusCode.AlreadyExists, "already_exists", 409),
        (StatusCode.PermissionDenied, "permission_denied", 403),
        (StatusCode.ResourceExhausted, "resource_exhausted", 429),
        (StatusCode.FailedPrecondition, "failed_precondition", 400),
        (StatusCode.Aborted, "aborted", 409),
        (StatusCode.OutOfRange, "out_of_range", 400),
        (StatusCode.Unimplemented, "unimplemented", 501),
        (StatusCode.Internal, "internal", 500),
        (StatusCode.Unavailable, "unavailable", 503),
        (StatusCode.DataLoss, "data_loss", 500),
        (StatusCode.Unauthenticated, "unauthenticated", 401),
    ];

    /// <summary>The Connect code name (<c>invalid_argument</c>, ...) of a gRPC status.</summary>
    public static string NameOf(StatusCode status)
    {
        foreach (var c in Codes) if (c.Status == status) return c.Name;
        return "unknown";
    }

    /// <summary>The HTTP status a Connect unary error with this code travels as.</summary>
    public static int HttpStatusOf(StatusCode status)
    {
        foreach (var c in Codes) if (c.Status == status) return c.Http;
        return 500;
    }

    /// <summary>The gRPC status of a Connect code name; null for a name the protocol does not define.</summary>
    public static StatusCode? Parse(string? name)
    {
        foreach (var c in Codes) if (c.Name == name) return c.Status;
        return null;
    }

    /// <summary>The spec's table for a response that is not a Connect error (a proxy's page, say).</summary>
    public static StatusCode FromHttpStatus(int http) => http switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
