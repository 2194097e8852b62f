using System.Collections.Immutable;
using Cleanroom.Cli.Diagnostics;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli.Tests;

public class SecretDoctorChecksTests
{
    [Fact]
    public void Doctor_lists_each_secret_id_and_says_which_cannot_be_loaded_without_showing_any_value()
    {
        var valueFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(valueFile, "file-secret-value\n");
            var secrets = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, SecretSource>
            {
                ["from_file"] = new("from_file", null, valueFile),
                ["from_env"] = new("from_env", "SET_SECRET", null),
                ["unset"] = new("unset", "UNSET_SECRET", null),
                ["missing_file"] = new("missing_file", null, "/nonexistent/cleanroom-secret"),
            });

            var checks = HostChecks.Secrets(secrets, name => name == "SET_SECRET" ? "env-secret-value" : null).ToList();

            Assert.Equal(4, checks.Count);
            Assert.Equal(CheckOutcome.Pass, checks.Single(c => c.Name == "secret from_file").Outcome);
            Assert.Equal(CheckOutcome.Pass, checks.Single(c => c.Name == "secret from_env").Outcome);
            var unset = checks.Single(c => c.Name == "secret unset");
            Assert.Equal(CheckOutcome.Fail, unset.Outcome);
            Assert.Contains("UNSET_SECRET", unset.Detail);
            Assert.Contains("does not exist", checks.Single(c => c.Name == "secret missing_file").Detail);
            var text = string.Join("\n", checks.Select(c => $"{c.Name} {c.Detail} {c.Fix}"));
            Assert.DoesNotContain("file-secret-value", text);
            Assert.DoesNotContain("env-secret-value", text);
        }
        finally
        {
            File.Delete(valueFile);
        }
    }

    [Fact]
    public void Without_secrets_doctor_says_so()
    {
        var check = Assert.Single(HostChecks.Secrets(SecretSettings.None, _ => null));

        Assert.Equal(CheckOutcome.Pass, check.Outcome);
        Assert.Contains("no secrets configured", check.Detail);
    }
}
