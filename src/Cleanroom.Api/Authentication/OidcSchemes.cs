using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;

namespace Cleanroom.Api.Authentication;

/// <summary>
/// One ASP.NET Core JWT bearer scheme per configured OIDC issuer. The handler fetches the issuer's discovery document
/// and JWKS, validates signature, issuer, audience and lifetime, and refetches the keys when a token names a key id
/// it does not know, at most once a minute (<see cref="JwtBearerOptions.RefreshInterval"/>).
/// </summary>
internal static class OidcSchemes
{
    public static string SchemeOf(int index) => $"cleanroom-oidc-{index}";

    public static void Add(IServiceCollection services, IReadOnlyList<OidcIssuer> issuers)
    {
        var authentication = services.AddAuthentication();
        for (var i = 0; i < issuers.Count; i++)
        {
            var issuer = issuers[i];
            authentication.AddJwtBearer(SchemeOf(i), options =>
            {
                options.Authority = issuer.Issuer;
                options.Audience = issuer.Audience;
                // Metadata over plain HTTP only from an issuer on this host (a test's, or a local proxy's).
                options.RequireHttpsMetadata = !IsLoopbackHttp(issuer.Issuer);
                options.MapInboundClaims = false;
                options.SaveToken = false;
                options.RefreshOnIssuerKeyNotFound = true;
                options.RefreshInterval = TimeSpan.FromMinutes(1);
                options.AutomaticRefreshInterval = TimeSpan.FromHours(12);
                var validation = options.TokenValidationParameters;
                validation.ValidIssuer = issuer.Issuer;
                validation.ValidAudience = issuer.Audience;
                validation.RequireExpirationTime = true;
                validation.RequireSignedTokens = true;
                validation.ClockSkew = TimeSpan.FromSeconds(30);
            });
        }
    }

    private static bool IsLoopbackHttp(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;
}
