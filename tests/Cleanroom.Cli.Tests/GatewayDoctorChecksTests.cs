using System.Collections.Immutable;
using Cleanroom.Cli.Diagnostics;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli.Tests;

public class GatewayDoctorChecksTests
{
    [Fact]
    public void Doctor_lists_each_credential_host_and_says_which_cannot_be_loaded_without_showing_any_value()
    {
        var tokenFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(tokenFile, "file-token-value\n");
            var gateway = GatewaySettings.Defaults with
            {
                CredentialHosts = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, GatewayCredentialSource>
                {
                    ["files.test"] = new("files.test", null, tokenFile, null),
                    ["env.test"] = new("env.test", "SET_TOKEN", null, null),
                    ["unset.test"] = new("unset.test", "UNSET_TOKEN", null, null),
                }),
            };

            var checks = HostChecks.GatewayCredentials(gateway, name => name == "SET_TOKEN" ? "env-token-value" : null).ToList();

            Assert.Equal(3, checks.Count);
            Assert.Equal(CheckOutcome.Pass, checks.Single(c => c.Name == "gateway credential files.test").Outcome);
            Assert.Equal(CheckOutcome.Pass, checks.Single(c => c.Name == "gateway credential env.test").Outcome);
            var unset = checks.Single(c => c.Name == "gateway credential unset.test");
            Assert.Equal(CheckOutcome.Fail, unset.Outcome);
            Assert.Contains("UNSET_TOKEN", unset.Detail);
            var text = string.Join("\n", checks.Select(c => $"{c.Name} {c.Detail} {c.Fix}"));
            Assert.DoesNotContain("file-token-value", text);
            Assert.DoesNotContain("env-token-value", text);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public void Without_credentials_doctor_names_the_gateway_port()
    {
        var check = Assert.Single(HostChecks.GatewayCredentials(GatewaySettings.Defaults, _ => null));

        Assert.Equal(CheckOutcome.Pass, check.Outcome);
        Assert.Contains("port 8170", check.Detail);
    }

    [Fact]
    public void Doctor_lists_helper_hosts_and_the_github_app_with_whether_its_key_loads()
    {
        var directory = Directory.CreateTempSubdirectory("cleanroom-doctor-app-");
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            var pem = rsa.ExportRSAPrivateKeyPem();
            var key = Path.Combine(directory.FullName, "app.pem");
            File.WriteAllText(key, pem);
            var helperHost = new GatewayCredentialSource("helper.test", null, null, null) { Helper = "!echo password=inline-secret" };
            GatewaySettings With(string keyFile) => GatewaySettings.Defaults with
            {
                CredentialHosts = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                    new Dictionary<string, GatewayCredentialSource> { ["helper.test"] = helperHost }),
                GitHubApp = new GitHubAppSettings("123", "456", keyFile, ["org/"], GitHubAppSettings.DefaultApiUrl, "github.com"),
            };

            var good = HostChecks.GatewayCredentials(With(key), _ => null).ToList();
            var bad = HostChecks.GatewayCredentials(With(Path.Combine(directory.FullName, "absent.pem")), _ => null).ToList();

            Assert.Equal(CheckOutcome.Pass, good.Single(c => c.Name == "gateway credential helper.test").Outcome);
            Assert.Contains("shell credential helper", good.Single(c => c.Name == "gateway credential helper.test").Detail);
            var app = good.Single(c => c.Name == "gateway GitHub App 123");
            Assert.Equal(CheckOutcome.Pass, app.Outcome);
            Assert.Contains("org/", app.Detail);
            var broken = bad.Single(c => c.Name == "gateway GitHub App 123");
            Assert.Equal(CheckOutcome.Fail, broken.Outcome);
            Assert.Contains("does not exist", broken.Detail);
            var text = string.Join("\n", good.Concat(bad).Select(c => $"{c.Name} {c.Detail} {c.Fix}"));
            Assert.DoesNotContain("inline-secret", text);
            Assert.DoesNotContain("PRIVATE KEY", text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
