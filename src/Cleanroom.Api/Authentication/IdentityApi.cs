using Cleanroom.Api.V1;
using Grpc.Core;

namespace Cleanroom.Api.Authentication;

/// <summary>cleanroom.v1.IdentityService: tells a caller who the server takes it for (<c>cleanroom auth check</c>).</summary>
internal sealed class IdentityApi(ApiAuthenticationOptions options) : IdentityService.IdentityServiceBase
{
    public override Task<WhoAmIResponse> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = context.GetHttpContext().Caller();
        var grants = caller.Grants;
        var response = new WhoAmIResponse
        {
            Principal = caller.Principal,
            Method = caller.MethodName,
            Admin = caller.Admin,
            Required = options.Required,
            Allowed = grants.Allowed,
            PolicyReason = grants.Reason,
            AnyBackend = grants.Backends is null,
            AnyImage = grants.Images is null,
            AllowAll = grants.AllowAll,
        };
        response.Backends.AddRange(grants.Backends ?? []);
        response.Images.AddRange(grants.Images ?? []);
        return Task.FromResult(response);
    }
}
