using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Egress;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Server.Tests.Gateway;

public class HostGatewayStartTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("not a certificate\n")]
    public async Task An_upstream_ca_file_that_is_missing_or_holds_no_certificate_stops_the_gateway_with_config_invalid(string? content)
    {
        var directory = Directory.CreateTempSubdirectory("cleanroom-gw-ca-").FullName;
        try
        {
            var path = Path.Combine(directory, "ca.pem");
            if (content is not null)
                await File.WriteAllTextAsync(path, content);
            using var recorder = new EgressEventRecorder(() => null, Path.Combine(directory, "audit.jsonl"), NullLogger.Instance);

            var error = await Assert.ThrowsAsync<CleanroomException>(() => HostGateway.StartAsync(
                GatewaySettings.Defaults with { UpstreamCaFile = path }, SecretSettings.None, "10.77.0.0/16", Path.Combine(directory, "mirrors"), recorder, NullLoggerFactory.Instance, CancellationToken.None));

            Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
            Assert.Contains("gateway.upstream_ca_file", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "does not exist")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nnot base64\n-----END RSA PRIVATE KEY-----\n", "PEM RSA private key")]
    [InlineData("ec", "RSA")]
    public async Task A_github_app_key_that_is_missing_unreadable_or_not_rsa_stops_the_gateway_with_config_invalid(string? content, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("cleanroom-gw-app-").FullName;
        try
        {
            var path = Path.Combine(directory, "app.pem");
            if (content == "ec")
            {
                using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
                await File.WriteAllTextAsync(path, ec.ExportECPrivateKeyPem());
            }
            else if (content is not null)
                await File.WriteAllTextAsync(path, content);
            using var recorder = new EgressEventRecorder(() => null, Path.Combine(directory, "audit.jsonl"), NullLogger.Instance);
            var app = new GitHubAppSettings("1", "2", path, ["org/"], GitHubAppSettings.DefaultApiUrl, GitHubAppSettings.DefaultHost);

            var error = await Assert.ThrowsAsync<CleanroomException>(() => HostGateway.StartAsync(
                GatewaySettings.Defaults with { GitHubApp = app }, SecretSettings.None, "10.77.0.0/16", Path.Combine(directory, "mirrors"), recorder, NullLoggerFactory.Instance, CancellationToken.None));

            Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
            Assert.Contains("gateway.credentials.github_app.private_key_file", error.Message);
            Assert.Contains(expected, error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
