using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Api.Hosting;

/// <summary>
/// Which addresses the server may listen on, decided before anything binds. Plain HTTP carries policies, output and
/// tokens in cleartext, so it stays on loopback. An https address reachable from other hosts is served only when every
/// call must be authenticated: TLS alone would hand root's sandboxes to anyone who can connect.
/// </summary>
internal static class ListenerPolicy
{
    public static void Check(IReadOnlyList<ApiAddress> addresses, ApiHostOptions options)
    {
        foreach (var address in addresses.OfType<TcpApiAddress>().Where(a => !a.IsLoopback))
        {
            if (address is HttpApiAddress)
                throw new CleanroomException(ErrorCode.InvalidArgument,
                    $"refusing to serve plain HTTP on non-loopback address {address}; use https:// (with auth.required), 127.0.0.1, ::1 or a unix socket");
            if (!options.Authentication.Required)
                throw new CleanroomException(ErrorCode.InvalidArgument,
                    $"refusing to serve {address} (not loopback) without authentication; set auth.required: true in the runtime config and give callers tokens or client certificates");
        }
        var https = addresses.OfType<HttpsApiAddress>().FirstOrDefault();
        if (https is not null && options.Tls is null)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{https} needs a certificate: tls.cert_file and tls.key_file in the runtime config, or --tls-cert and --tls-key");
    }
}
