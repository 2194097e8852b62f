using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

public sealed class NpmLockfilePolicyTests
{
    private const string Image = "ghcr.io/buildkite/cleanroom-base/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private const string Version3 = """
        {"name": "app", "lockfileVersion": 3, "packages": {
          "": {"name": "app", "dependencies": {"left-pad": "^1.3.0"}},
          "node_modules/left-pad": {"version": "1.3.0", "integrity": "sha512-x"},
          "node_modules/@types/node": {"version": "20.1.0"},
          "node_modules/a/node_modules/b": {"version": "2.0.0"},
          "node_modules/alias": {"name": "real-name", "version": "3.0.0"},
          "node_modules/local": {"resolved": "packages/local", "link": true},
          "packages/local": {"version": "0.0.1"}
        }}
        """;

    private const string Version1 = """
        {"name": "app", "lockfileVersion": 1, "dependencies": {
          "left-pad": {"version": "1.3.0"},
          "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
          "mine": {"version": "file:../mine"}
        }}
        """;

    private static PolicyResult Compile(string registries, Func<string, string?>? files) =>
        PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  network:\n    allow: [registry.npmjs.org:443]\nregistries:\n{registries}", "p.yaml", files);

    private static Func<string, string?> Files(string name, string text) => path => path == name ? text : null;

    [Fact]
    public void The_lockfiles_packages_are_compiled_into_the_policy_and_its_hash()
    {
        var result = Compile("  npm:\n    lockfile_enforcement:\n      mode: deny_unknown\n", Files("package-lock.json", Version3));

        Assert.True(result.Valid, string.Join("; ", result.Errors));
        var lockfile = result.Policy!.NpmLockfile!;
        Assert.Equal("package-lock.json", lockfile.Lockfile);
        Assert.True(lockfile.Denies);
        Assert.Equal(new[] { "@types/node@20.1.0", "b@2.0.0", "left-pad@1.3.0", "real-name@3.0.0" }, lockfile.Packages.ToArray());
        Assert.True(lockfile.Names("left-pad", "1.3.0"));
        Assert.False(lockfile.Names("left-pad", "1.2.0"));
        Assert.Contains("\"registries\":{\"npm\":{\"lockfile_enforcement\":{\"lockfile\":\"package-lock.json\",\"mode\":\"deny_unknown\",\"packages\":[\"@types/node@20.1.0\",", result.Policy.CanonicalJson);

        var warn = Compile("  npm:\n    lockfile_enforcement:\n      mode: warn\n", Files("package-lock.json", Version3)).Policy!;
        var otherLock = Compile("  npm:\n    lockfile_enforcement:\n      mode: deny_unknown\n", Files("package-lock.json", Version1)).Policy!;
        var none = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  network:\n    allow: [registry.npmjs.org:443]\n", "p.yaml").Policy!;
        Assert.NotEqual(warn.PolicyHash, result.Policy.PolicyHash);
        Assert.NotEqual(otherLock.PolicyHash, result.Policy.PolicyHash);
        Assert.DoesNotContain("registries", none.CanonicalJson); // policies without it keep the hash they had
        Assert.Null(none.NpmLockfile);
    }

    [Fact]
    public void A_version_1_lockfile_and_a_named_lockfile_are_read()
    {
        var result = Compile("  npm:\n    lockfile_enforcement:\n      lockfile: web/npm-shrinkwrap.json\n      mode: warn\n", Files("web/npm-shrinkwrap.json", Version1));

        Assert.True(result.Valid, string.Join("; ", result.Errors));
        Assert.Equal(new[] { "a@1.0.0", "b@2.0.0", "left-pad@1.3.0" }, result.Policy!.NpmLockfile!.Packages.ToArray());
        Assert.False(result.Policy.NpmLockfile.Denies);
    }

    [Fact]
    public void The_canonical_json_round_trips_and_a_tampered_one_is_refused()
    {
        var policy = Compile("  npm:\n    lockfile_enforcement:\n      mode: deny_unknown\n", Files("package-lock.json", Version3)).Policy!;

        var read = CompiledPolicy.FromCanonicalJson(policy.CanonicalJson);
        Assert.Equal(policy.PolicyHash, read.PolicyHash);
        Assert.Equal(policy.NpmLockfile!.Packages.ToArray(), read.NpmLockfile!.Packages.ToArray());
        foreach (var tampered in new[]
        {
            policy.CanonicalJson.Replace("\"deny_unknown\"", "\"allow_all\""),
            policy.CanonicalJson.Replace("\"b@2.0.0\",", ""). Replace("\"left-pad@1.3.0\"", "\"left-pad@1.3.0\",\"b@2.0.0\""), // out of order
            policy.CanonicalJson.Replace("\"package-lock.json\"", "\"../package-lock.json\""),
            policy.CanonicalJson.Replace("\"b@2.0.0\"", "\"b\""),
        })
        {
            var e = Assert.Throws<CleanroomException>(() => CompiledPolicy.FromCanonicalJson(tampered));
            Assert.Equal(ErrorCode.PolicyInvalid, e.Code);
        }
    }

    [Theory]
    [InlineData("  npm:\n    lockfile_enforcement:\n      mode: strict\n", "registries.npm.lockfile_enforcement.mode", "deny_unknown or warn")]
    [InlineData("  npm:\n    lockfile_enforcement:\n      lockfile: package-lock.json\n", "registries.npm.lockfile_enforcement.mode", "mode is required")]
    [InlineData("  npm:\n    lockfile_enforcement:\n      mode: warn\n      lockfile: ../package-lock.json\n", "registries.npm.lockfile_enforcement.lockfile", "inside the repository")]
    [InlineData("  npm:\n    lockfile_enforcement:\n      mode: warn\n      lockfile: missing.json\n", "registries.npm.lockfile_enforcement.lockfile", "does not exist")]
    [InlineData("  npm:\n    lockfile_enforcement:\n      mode: warn\n      lockfile: broken.json\n", "registries.npm.lockfile_enforcement.lockfile", "is not JSON")]
    [InlineData("  npm:\n    lockfile_enforcement:\n      mode: warn\n      strict: true\n", "registries.npm.lockfile_enforcement.strict", "unknown field")]
    [InlineData("  pip:\n    lockfile_enforcement:\n      mode: warn\n", "registries.pip", "unknown field")]
    public void Bad_settings_are_refused_with_their_path(string registries, string path, string message)
    {
        var result = Compile(registries, p => p switch { "package-lock.json" => Version3, "broken.json" => "{not json", _ => null });

        Assert.False(result.Valid);
        Assert.Contains(result.Errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_repository_to_read_the_lockfile_from_the_policy_does_not_compile()
    {
        var result = Compile("  npm:\n    lockfile_enforcement:\n      mode: deny_unknown\n", null);

        Assert.False(result.Valid);
        Assert.Contains(result.Errors, e => e.Path == "registries.npm.lockfile_enforcement.lockfile" && e.Message.Contains("without a repository", StringComparison.Ordinal));
    }
}
