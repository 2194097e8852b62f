using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// One sandbox's own HTTP client to its upstreams: a handler of its own, so pooled connections (and anything a
/// connection carries, like an authenticated session) are never shared between sandboxes. Every new connection asks
/// the sandbox's policy again — host and port allowed by the active stage, the name resolved by the policy resolver's
/// rules, the address not one the gateway refuses — so a stage switch or a removed rule closes the way at once.
/// </summary>
internal sealed class UpstreamClient : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    public UpstreamClient(GatewayCaller caller, UpstreamAddressPolicy addresses, X509Certificate2Collection extraRoots)
    {
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PreAuthenticate = false,
            Credentials = null,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = (context, token) => ConnectAsync(caller, addresses, context.DnsEndPoint, token),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Trusted(certificate, errors, extraRoots),
            },
        }, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker => _invoker;

    public void Dispose() => _invoker.Dispose();

    /// <summary>
    /// The addresses the gateway may dial for <paramref name="host"/>:<paramref name="port"/> on behalf of the caller: the
    /// port allowed by its active stage, the name resolved by its policy resolver's rules, refused addresses left out.
    /// </summary>
    public static async Task<IReadOnlyList<IPAddress>> AllowedAddressesAsync(GatewayCaller caller, UpstreamAddressPolicy addresses, string host, int port,
        List<string> refusals, CancellationToken cancellationToken)
    {
        if (caller.Network.AllowedPortsFor(host) is not { } ports || (ports.Length > 0 && !ports.Contains(port)))
            throw new UpstreamRefusedException($"{host}:{port} is not allowed by the sandbox's policy");
        var resolved = await caller.Network.ResolveAllowedAsync(host, cancellationToken).ConfigureAwait(false);
        if (resolved.IsEmpty)
            throw new UpstreamRefusedException($"{host} has no IPv4 address");
        var usable = new List<IPAddress>();
        foreach (var address in resolved)
        {
            if (addresses.WhyRefused(address) is { } why)
                refusals.Add($"{address}: refused, {why}");
            else
                usable.Add(address);
        }

        return usable;
    }

    private static async ValueTask<Stream> ConnectAsync(GatewayCaller caller, UpstreamAddressPolicy addresses, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var host = endpoint.Host;
        var failures = new List<string>();
        foreach (var address in await AllowedAddressesAsync(caller, addresses, host, endpoint.Port, failures, cancellationToken).ConfigureAwait(false))
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failures.Add($"{address}: {e.SocketErrorCode}");
            }
        }

        throw new UpstreamRefusedException($"cannot connect to {host}:{endpoint.Port} ({string.Join("; ", failures)})");
    }

    /// <summary>The system's trust first; failing only that, the configured extra CA as the root. A name mismatch never passes.</summary>
    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection extraRoots)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || extraRoots.Count == 0 || certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}

/// <summary>The gateway would not (or could not) connect upstream; the message is safe to show the sandbox.</summary>
internal sealed class UpstreamRefusedException(string message) : Exception(message);
