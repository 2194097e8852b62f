using Cleanroom.Api.Authentication;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Server.Services;

/// <summary>
/// Owner scoping: on a server with <c>auth.required</c>, a sandbox (and so its executions, files, events and ports)
/// exists only for the principal that created it and for admins. Anyone else gets the very <c>not_found</c> an
/// unknown id gets, so ids of other principals' sandboxes cannot be probed. A server without <c>auth.required</c>
/// serves one user (its socket is 0600, its TCP loopback): owners are recorded but not enforced.
/// </summary>
internal sealed class SandboxAccess(SandboxControl control, ApiAuthenticationOptions authentication)
{
    /// <summary>The principal a new sandbox is recorded with; null for an anonymous caller.</summary>
    public static string? OwnerFor(ServerCallContext context) =>
        context.GetHttpContext().Caller() is { IsAuthenticated: true } caller ? caller.Principal : null;

    /// <summary>Whether the call's caller may see <paramref name="sandbox"/>.</summary>
    public bool Sees(ServerCallContext context, Sandbox sandbox) => Sees(context, sandbox.Owner);

    /// <summary>Whether the call's caller may see something owned by <paramref name="owner"/> (a sandbox, a snapshot).</summary>
    public bool Sees(ServerCallContext context, string? owner)
    {
        if (!authentication.Required) return true;
        var caller = context.GetHttpContext().Caller();
        return caller.Admin || (caller.IsAuthenticated && owner == caller.Principal);
    }

    /// <summary>
    /// Calls that span every principal's sandboxes (the host's storage) are for admins where authentication is
    /// required: <c>admin_required</c> for anyone else.
    /// </summary>
    public void RequireAdmin(ServerCallContext context, string what)
    {
        if (authentication.Required && !context.GetHttpContext().Caller().Admin)
            throw new CleanroomException(ErrorCode.AdminRequired, $"{what} is for the server's admins (auth.admins)");
    }

    /// <summary>
    /// Refuses, with <c>access_denied</c>, a sandbox whose backend, image or allow-all the claims policy does not grant
    /// the caller (the image only when <paramref name="imageReference"/> is given). Checked before anything is made.
    /// </summary>
    public static void RequireGranted(ServerCallContext context, string? backend, string? imageReference, bool allowAll)
    {
        var caller = context.GetHttpContext().Caller();
        if (caller.Grants.RefusalFor(backend, imageReference, allowAll) is { } refusal)
            throw new CleanroomException(ErrorCode.AccessDenied, refusal);
    }

    /// <summary>The backends the claims policy lets the caller use; null: any.</summary>
    public static IReadOnlyList<string>? AllowedBackends(ServerCallContext context) => context.GetHttpContext().Caller().Grants.Backends;

    /// <summary>The sandbox, if the caller may see it; else <c>not_found</c> exactly as for an id that does not exist.</summary>
    public async Task<Sandbox> SandboxAsync(ServerCallContext context, string sandboxId)
    {
        var sandbox = await control.GetSandboxAsync(sandboxId, context.CancellationToken);
        return Sees(context, sandbox) ? sandbox : throw new CleanroomException(ErrorCode.NotFound, $"sandbox {sandboxId} does not exist");
    }

    /// <summary>The execution, if the caller may see its sandbox; else <c>not_found</c> as for an unknown id.</summary>
    public async Task<Execution> ExecutionAsync(ServerCallContext context, string executionId)
    {
        var execution = await control.GetExecutionAsync(executionId, context.CancellationToken);
        var sandbox = await control.GetSandboxAsync(execution.SandboxId, context.CancellationToken);
        return Sees(context, sandbox) ? execution : throw new CleanroomException(ErrorCode.NotFound, $"execution {executionId} does not exist");
    }
}
