using Cleanroom.Api.Addressing;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.Tls;
using Cleanroom.Client;
using Cleanroom.Errors;

namespace Cleanroom.Api.Tests;

/// <summary>
/// Where the server may listen, decided before anything binds. The non-loopback addresses here are only checked,
/// never bound or sent to: Build refuses them first.
/// </summary>
public sealed class ListenerPolicyTests
{
    [Theory]
    [InlineData("http://192.0.2.10:7777")]
    [InlineData("http://0.0.0.0:7777")]
    public void A_plain_http_non_loopback_listener_refuses_to_start_even_with_auth(string address)
    {
        var error = Assert.Throws<CleanroomException>(() => TestServer.Build([ApiAddress.Parse(address)],
            o => o.Authentication = new ApiAuthenticationOptions { Required = true }));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("plain HTTP", error.Message);
    }

    [Fact]
    public void A_non_loopback_https_listener_refuses_to_start_without_required_authentication()
    {
        using var certificates = new TempDirectory();
        TlsSetup.Run(certificates.Path, [], [], force: false);

        var error = Assert.Throws<CleanroomException>(() => TestServer.Build([ApiAddress.Parse("https://0.0.0.0:7777")],
            o => o.Tls = new ApiTlsOptions(certificates.Combine("server.crt"), certificates.Combine("server.key"))));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("auth.required", error.Message);
    }

    [Fact]
    public void An_https_listener_without_a_certificate_refuses_to_start()
    {
        var error = Assert.Throws<CleanroomException>(() => TestServer.Build([ApiAddress.Parse("https://127.0.0.1:0")]));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("tls.cert_file", error.Message);
    }

    [Fact]
    public void An_unreadable_token_file_stops_the_start_without_showing_a_token()
    {
        using var directory = new TempDirectory();

        var error = Assert.Throws<CleanroomException>(() => TestServer.Build([new UnixApiAddress(directory.Combine("api.sock"))],
            o => o.Authentication = new ApiAuthenticationOptions { Tokens = [new StaticTokenSource(directory.Combine("absent"), "ci-bot")] }));

        Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
    }

    [Fact]
    public void The_client_refuses_to_send_a_token_in_cleartext_off_loopback()
    {
        var error = Assert.Throws<CleanroomException>(() => new CleanroomClient(new CleanroomClientOptions
        {
            Address = ApiAddress.Parse("http://192.0.2.10:7777"),
            Token = "a-token-that-must-not-travel",
        }));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.DoesNotContain("a-token-that-must-not-travel", error.Message);
    }

    [Fact]
    public void The_clients_token_comes_from_the_token_file_else_CLEANROOM_TOKEN()
    {
        using var directory = new TempDirectory();
        var file = directory.Combine("token");
        File.WriteAllText(file, "from-the-file\n");
        string? Env(string name) => name == "CLEANROOM_TOKEN" ? "from-the-environment" : null;

        Assert.Equal("from-the-environment", CleanroomClientOptions.ForClient("unix:///tmp/x.sock", Env).Token);
        Assert.Equal("from-the-file", CleanroomClientOptions.ForClient("unix:///tmp/x.sock", Env, tokenFile: file).Token);
        Assert.Equal(ErrorCode.InvalidArgument,
            Assert.Throws<CleanroomException>(() => CleanroomClientOptions.ForClient("unix:///tmp/x.sock", Env, tokenFile: directory.Combine("absent"))).Code);
    }
}
