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
}
