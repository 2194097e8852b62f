using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Api.Errors;

/// <summary>
/// The one table from Cleanroom's stable error codes to gRPC status codes (and so, via <see cref="ConnectCode"/>,
/// to Connect codes and HTTP statuses). The README of this component shows it as a table.
/// </summary>
public static class StableCodeStatus
{
    private static readonly Dictionary<string, StatusCode> Table = new(StringComparer.Ordinal)
    {
        // The request itself is wrong: fixing the request (or the policy it carries) fixes it.
        [ErrorCode.InvalidArgument] = StatusCode.InvalidArgument,
        [ErrorCode.PolicyInvalid] = StatusCode.InvalidArgument,
        [ErrorCode.PolicyConflict] = StatusCode.InvalidArgument,
        [ErrorCode.PolicyNotFound] = StatusCode.InvalidArgument,
        [ErrorCode.NotFound] = StatusCode.NotFound,
        [ErrorCode.PathUnsafe] = StatusCode.InvalidArgument,
        [ErrorCode.NotAGitCheckout] = StatusCode.FailedPrecondition,
        [ErrorCode.StdinAttached] = StatusCode.FailedPrecondition,
        [ErrorCode.SystemdUnavailable] = StatusCode.FailedPrecondition,
        [ErrorCode.PortInUse] = StatusCode.FailedPrecondition,
        [ErrorCode.RouteInUse] = StatusCode.FailedPrecondition,
        [ErrorCode.ConnectionRefused] = StatusCode.FailedPrecondition,
        [ErrorCode.WorkspaceConflict] = StatusCode.FailedPrecondition,
        [ErrorCode.EnsureKeyConflict] = StatusCode.FailedPrecondition,
        [ErrorCode.CheckoutMoved] = StatusCode.FailedPrecondition,
        [ErrorCode.TooLarge] = StatusCode.ResourceExhausted,
        [ErrorCode.ImageNotFound] = StatusCode.NotFound,
        [ErrorCode.PlatformNotFound] = StatusCode.NotFound,
        // The server cannot do it in its present state; retrying the same request will not help.
        [ErrorCode.ConfigInvalid] = StatusCode.FailedPrecondition,
        [ErrorCode.BackendCapabilityMismatch] = StatusCode.FailedPrecondition,
        [ErrorCode.ImageInvalid] = StatusCode.FailedPrecondition,
        [ErrorCode.LayerUnsafe] = StatusCode.FailedPrecondition,
        [ErrorCode.DiskLimitUnavailable] = StatusCode.FailedPrecondition,
        [ErrorCode.SuspendFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.WakeFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.SnapshotCorrupt] = StatusCode.FailedPrecondition,
        [ErrorCode.SnapshotPolicyMismatch] = StatusCode.FailedPrecondition,
        [ErrorCode.GatewayUnavailable] = StatusCode.FailedPrecondition,
        // The policy's own setup command failed: the same request fails the same way until the repository changes.
        [ErrorCode.DependencyFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.ServiceFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.DockerUnavailable] = StatusCode.FailedPrecondition,
        [ErrorCode.RunBeforeFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.WorkspaceIncomplete] = StatusCode.DeadlineExceeded,
        [ErrorCode.RepositoryCheckoutFailed] = StatusCode.FailedPrecondition,
        [ErrorCode.SecretUnavailable] = StatusCode.FailedPrecondition,
        // What a registry sent is not what the digest pins: never retried blindly, never used.
        [ErrorCode.DigestMismatch] = StatusCode.DataLoss,
        [ErrorCode.RegistryIntegrityMismatch] = StatusCode.DataLoss,
        [ErrorCode.RegistryAuthFailed] = StatusCode.PermissionDenied,
        // Transient: the backend may come back, so clients may retry.
        [ErrorCode.BackendUnavailable] = StatusCode.Unavailable,
        [ErrorCode.RegistryUnreachable] = StatusCode.Unavailable,
        // The policy forbade it.
        [ErrorCode.HostNotAllowed] = StatusCode.PermissionDenied,
        [ErrorCode.RegistryNotAllowed] = StatusCode.PermissionDenied,
        [ErrorCode.LockfileViolation] = StatusCode.PermissionDenied,
        [ErrorCode.SecretScopeViolation] = StatusCode.PermissionDenied,
        [ErrorCode.AdminRequired] = StatusCode.PermissionDenied,
        [ErrorCode.AccessDenied] = StatusCode.PermissionDenied,
        // Who is calling is unknown (or their credential failed): a new credential, not a new request, fixes it.
        [ErrorCode.Unauthenticated] = StatusCode.Unauthenticated,
        // A runtime that fails to launch is a server-side fault, not a hint to retry (Unavailable would
        // invite automatic retries of CreateSandbox).
        [ErrorCode.RuntimeLaunchFailed] = StatusCode.Internal,
        [ApiErrorCode.Internal] = StatusCode.Internal,
        [ApiErrorCode.ServerNotRunning] = StatusCode.Unavailable,
        [ApiErrorCode.ServerAlreadyRunning] = StatusCode.AlreadyExists,
    };

    /// <summary>The gRPC status for a stable code; codes this table does not know yet travel as Unknown (their reason still does).</summary>
    public static StatusCode For(string stableCode) =>
        Table.TryGetValue(stableCode, out var status) ? status : StatusCode.Unknown;

    /// <summary>
    /// The stable code for an error that came without an ErrorInfo (a proxy, a transport failure, a server that
    /// is not Cleanroom): the two that have a stable twin use it, the rest use the Connect name of the status.
    /// </summary>
    public static string FallbackFor(StatusCode status) => status switch
    {
        StatusCode.InvalidArgument => ErrorCode.InvalidArgument,
        StatusCode.NotFound => ErrorCode.NotFound,
        _ => ConnectCode.NameOf(status),
    };
}
