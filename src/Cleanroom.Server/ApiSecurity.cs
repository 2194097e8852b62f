using Cleanroom.Api.Authentication;
using Cleanroom.Api.Hosting;
using Cleanroom.Api.Tls;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server;

/// <summary>The runtime config's <c>tls:</c> and <c>auth:</c> sections, as the API host takes them.</summary>
internal static class ApiSecurity
{
    public static void Apply(RuntimeConfiguration configuration, ApiHostOptions api)
    {
        var tls = configuration.Tls;
        if (tls.CertFile is not null && tls.KeyFile is not null)
            api.Tls = new ApiTlsOptions(tls.CertFile, tls.KeyFile, tls.ClientCaFile);
        var auth = configuration.Auth;
        api.Authentication = new ApiAuthenticationOptions
        {
            Required = auth.Required,
            Tokens = auth.Tokens.Select(t => new StaticTokenSource(t.File, t.Principal)).ToList(),
            OidcIssuers = auth.OidcIssuers.Select(i => new OidcIssuer(i.Issuer, i.Audience)).ToList(),
            Admins = auth.Admins,
            Policy = auth.Policy.Select(r => new AccessRule(
                r.Match.Select(m => new ClaimMatch(m.Claim, m.Pattern)).ToList(), r.Allow, r.Backends, r.Images, r.AllowAll)).ToList(),
        };
    }
}
