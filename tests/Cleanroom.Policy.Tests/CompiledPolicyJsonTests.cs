using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

public sealed class CompiledPolicyJsonTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private const string Yaml = $$"""
        version: 1
        sandbox:
          image:
            ref: ghcr.io/buildkite/cleanroom-base/alpine@{{Digest}}
          network:
            allow:
              - api.github.com:443
              - host: registry.npmjs.org
                ports: [443, 80]
          resources:
            memory: 512MiB
          dependencies:
            - name: npm
              command: npm ci
              inputs:
                files: [package-lock.json]
              outputs:
                dirs: [node_modules]
              env:
                NPM_CONFIG_FUND: "false"
        expose:
          https:
            base: "{sandbox_id}.cleanroom.localhost"
            routes:
              - port: 3000
                hosts: ["{base}"]
        """;

    private static readonly CompiledPolicy Policy = PolicyCompiler.Compile(Yaml, "test.yaml").Policy!;

    [Fact]
    public void Minimal_policy_has_this_exact_canonical_json()
    {
        var policy = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: alpine@{Digest}\n", "min.yaml").Policy!;

        const string expected =
            "{\"version\":1,\"image\":{\"ref\":\"alpine@" + Digest + "\",\"digest\":\"" + Digest + "\"}," +
            "\"network\":{\"default\":\"deny\",\"stages\":{\"repository\":[],\"dependencies\":[],\"services\":[],\"execution\":[]}}," +
            "\"repository\":{\"path\":\"/workspace\"},\"resources\":{\"vcpus\":null,\"memory_bytes\":null,\"disk_bytes\":null}," +
            "\"docker\":{\"required\":false},\"dependencies\":[],\"services\":[],\"run\":{\"before\":null},\"expose\":{\"https\":null}}";
        Assert.Equal(expected, policy.CanonicalJson);
    }

    [Fact]
    public void Policy_hash_is_sha256_of_the_utf8_canonical_json()
    {
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Policy.CanonicalJson)));
        Assert.Equal(expected, Policy.PolicyHash);
    }

    [Fact]
    public void Printed_json_starts_with_the_policy_hash_and_holds_the_canonical_fields()
    {
        var json = Policy.ToJson();

        Assert.Equal("policy_hash", json.First().Key);
        Assert.Equal(Policy.PolicyHash, (string?)json["policy_hash"]);
        Assert.Equal(536870912L, (long?)json["resources"]!["memory_bytes"]);
        Assert.Equal("/workspace/node_modules", (string?)json["dependencies"]![0]!["outputs"]!["dirs"]![0]);
        json.Remove("policy_hash");
        Assert.Equal(Policy.CanonicalJson, json.ToJsonString());
    }

    [Fact]
    public void Round_trip_returns_an_equal_policy_with_the_same_hash()
    {
        var restored = CompiledPolicy.FromCanonicalJson(Policy.CanonicalJson);

        Assert.Equal(Policy, restored);
        Assert.Equal(Policy.PolicyHash, restored.PolicyHash);
        Assert.Equal(Policy.CanonicalJson, restored.CanonicalJson);
    }

    [Fact]
    public void A_senders_hash_is_ignored_and_the_hash_is_recomputed()
    {
        var printed = Policy.ToJson();
        printed["policy_hash"] = "sha256:" + new string('0', 64);
        foreach (var stage in new[] { "repository", "dependencies", "services", "execution" })
        {
            printed["network"]!["stages"]![stage]![0]!["ports"] = new JsonArray(8443);
        }

        var restored = CompiledPolicy.FromCanonicalJson(printed.ToJsonString());

        Assert.NotEqual(Policy.PolicyHash, restored.PolicyHash);
        Assert.Equal(PolicyHashOf(Yaml.Replace("api.github.com:443", "api.github.com:8443")), restored.PolicyHash);
    }

    [Theory]
    [InlineData("unsorted rules", "network.stages.execution")]
    [InlineData("unsorted ports", "network.stages.execution[1].ports")]
    [InlineData("duplicate ports", "network.stages.execution[1].ports")]
    [InlineData("uppercase host", "network.stages.execution[0].host")]
    [InlineData("trailing dot", "network.stages.execution[0].host")]
    [InlineData("wildcard host", "network.stages.execution[0].host")]
    [InlineData("port out of range", "network.stages.execution[0].ports[0]")]
    [InlineData("tag-only image", "image.ref")]
    [InlineData("short digest", "image.ref")]
    [InlineData("digest mismatch", "image.digest")]
    [InlineData("allow by default", "network.default")]
    [InlineData("unknown field", "sandbox")]
    [InlineData("missing field", "run")]
    [InlineData("relative output", "dependencies[0].outputs.dirs[0]")]
    [InlineData("unsorted env", "dependencies[0].env")]
    [InlineData("zero memory", "resources.memory_bytes")]
    [InlineData("version 2", "version")]
    public void Tampered_json_is_rejected_as_policy_invalid(string tampering, string path)
    {
        var json = Policy.ToJson();
        var execution = json["network"]!["stages"]!["execution"]!.AsArray();
        switch (tampering)
        {
            case "unsorted rules": execution.Add(execution[0]!.DeepClone()); execution.RemoveAt(0); break;
            case "unsorted ports": execution[1]!["ports"] = new JsonArray(443, 80); break;
            case "duplicate ports": execution[1]!["ports"] = new JsonArray(80, 80); break;
            case "uppercase host": execution[0]!["host"] = "API.github.com"; break;
            case "trailing dot": execution[0]!["host"] = "api.github.com."; break;
            case "wildcard host": execution[0]!["host"] = "*.github.com"; break;
            case "port out of range": execution[0]!["ports"] = new JsonArray(0); break;
            case "tag-only image": json["image"]!["ref"] = "alpine:3.20"; break;
            case "short digest": json["image"]!["ref"] = "alpine@sha256:0123"; break;
            case "digest mismatch": json["image"]!["digest"] = "sha256:" + new string('f', 64); break;
            case "allow by default": json["network"]!["default"] = "allow"; break;
            case "unknown field": json["sandbox"] = new JsonObject(); break;
            case "missing field": json.Remove("run"); break;
            case "relative output": json["dependencies"]![0]!["outputs"]!["dirs"] = new JsonArray("node_modules"); break;
            case "unsorted env": json["dependencies"]![0]!["env"] = new JsonObject { ["Z"] = "1", ["A"] = "2" }; break;
            case "zero memory": json["resources"]!["memory_bytes"] = 0; break;
            case "version 2": json["version"] = 2; break;
        }

        var error = Assert.Throws<CleanroomException>(() => CompiledPolicy.FromCanonicalJson(json.ToJsonString()));

        Assert.Equal(ErrorCode.PolicyInvalid, error.Code);
        Assert.Contains($" at {path}:", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"version\":1}")]
    [InlineData("{\"version\":1,\"\\ud800\":1}")]
    public void Malformed_json_is_rejected_as_policy_invalid(string json) =>
        Assert.Equal(ErrorCode.PolicyInvalid, Assert.Throws<CleanroomException>(() => CompiledPolicy.FromCanonicalJson(json)).Code);

    private static string PolicyHashOf(string yaml) => PolicyCompiler.Compile(yaml, "x.yaml").Policy!.PolicyHash;
}
