using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.Tls;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.Errors;

namespace Cleanroom.Api.Tests;

/// <summary>
/// Client certificates (mTLS) with certificates from <c>tls init</c>'s code: one from the configured CA is its subject's
/// principal; one from another CA never gets past the TLS handshake.
/// </summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _ours = new();
    private readonly TempDirectory _theirs = new();
    private TestServer _server = null!;
    private HttpsApiAddress _https = null!;

    public async Task InitializeAsync()
    {
        TlsSetup.Run(_ours.Path, [], ["alice"], force: false);
        TlsSetup.Run(_theirs.Path, [], ["mallory"], force: false);
        var requested = new HttpsApiAddress("127.0.0.1", 0);
        _server = await TestServer.StartAsync(options =>
        {
            options.Tls = new ApiTlsOptions(_ours.Combine("server.crt"), _ours.Combine("server.key"), _ours.Combine("ca.crt"));
            options.Authentication = new ApiAuthenticationOptions { Required = true };
        }, requested);
        _https = (HttpsApiAddress)_server.BoundAddress(requested);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _ours.Dispose();
        _theirs.Dispose();
    }

    [Fact]
    public async Task A_client_certificate_from_the_configured_ca_is_its_subject()
    {
        using var client = new CleanroomClient(new CleanroomClientOptions
        {
            Address = _https,
            TlsCaFile = _ours.Combine("ca.crt"),
            TlsCertificateFile = _ours.Combine("client-alice.crt"),
            TlsKeyFile = _ours.Combine("client-alice.key"),
        });

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal("CN=alice", identity.Principal);
        Assert.Equal("certificate", identity.Method);
    }

    [Fact]
    public async Task Without_a_certificate_or_token_the_call_is_unauthenticated()
    {
        using var client = new CleanroomClient(new CleanroomClientOptions { Address = _https, TlsCaFile = _ours.Combine("ca.crt") });

        var error = await Assert.ThrowsAsync<Cleanroom.Api.Errors.RemoteErrorException>(async () =>
            await client.Identity.WhoAmIAsync(new WhoAmIRequest()));

        Assert.Equal(ErrorCode.Unauthenticated, error.Code);
    }

    [Fact]
    public async Task A_client_certificate_from_another_ca_is_refused_at_the_handshake()
    {
        using var foreign = X509Certificate2.CreateFromPemFile(_theirs.Combine("client-mallory.crt"), _theirs.Combine("client-mallory.key"));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _https.Port);
        await using var tls = new SslStream(tcp.GetStream());
        var received = new byte[256];

        // TLS 1.3 lets the client finish its side before the server has judged the certificate, so the refusal (an
        // alert) may arrive on the first read instead; either way no HTTP byte ever comes back.
        var refused = await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => foreign,
            });
            await tls.WriteAsync(Encoding.ASCII.GetBytes("POST /cleanroom.v1.IdentityService/WhoAmI HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
            var read = await tls.ReadAsync(received);
            if (read > 0) throw new Xunit.Sdk.XunitException("the server answered: " + Encoding.ASCII.GetString(received, 0, read));
            throw new IOException("closed without an answer");
        });

        Assert.True(refused is IOException or System.Security.Authentication.AuthenticationException, $"unexpected outcome: {refused}");
    }
}
