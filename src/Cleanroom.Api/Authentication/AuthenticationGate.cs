using Cleanroom.Api.Errors;
using Cleanroom.Errors;
using Grpc.Core;
using Cleanroom.Api.Observation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cleanroom.Api.Authentication;

/// <summary>
/// The first middleware of the API: resolves the caller of every request and refuses it, before any body is read,
/// when its credential fails or when <see cref="ApiAuthenticationOptions.Required"/> and it has none. The refusal is
/// the stable code <c>unauthenticated</c> in whichever protocol the request speaks. A caller the claims policy denies
/// gets <c>access_denied</c> for everything but WhoAmI, which tells it so (<c>cleanroom auth check</c>).
/// </summary>
internal sealed class AuthenticationGate(RequestDelegate next, CallerResolver resolver, ApiAuthenticationOptions options)
{
    private const string IdentityRequired =
        "this server requires an identity: a bearer token (--token-file or CLEANROOM_TOKEN), a client certificate, or its unix socket";

    /// <summary>The one call a denied caller may make: it creates nothing and says why.</summary>
    private const string WhoAmIPath = "/cleanroom.v1.IdentityService/WhoAmI";

    public async Task InvokeAsync(HttpContext http)
    {
        var (caller, refusal) = await resolver.ResolveAsync(http).ConfigureAwait(false);
        if (refusal is null && options.Required && caller is { IsAuthenticated: false }) refusal = IdentityRequired;
        if (refusal is not null)
        {
            http.RequestServices.GetService<IApiCallObserver>()?.Refused(http, caller, ErrorCode.Unauthenticated);
            await GateRefusal.WriteAsync(http,
                WireError.Create(StatusCode.Unauthenticated, ErrorCode.Unauthenticated, refusal)).ConfigureAwait(false);
            return;
        }
        if (!caller!.Grants.Allowed && !http.Request.Path.Equals(WhoAmIPath, StringComparison.Ordinal))
        {
            http.RequestServices.GetService<IApiCallObserver>()?.Refused(http, caller, ErrorCode.AccessDenied);
            await GateRefusal.WriteAsync(http, WireError.Create(StatusCode.PermissionDenied, ErrorCode.AccessDenied,
                $"{caller.Principal} may not use this server: {caller.Grants.Reason}")).ConfigureAwait(false);
            return;
        }
        http.SetCaller(caller!);
        await next(http).ConfigureAwait(false);
    }
}
