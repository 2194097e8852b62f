using System.Text.Json.Nodes;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.Policy;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// Turns the policy a client sent into a <see cref="CompiledPolicy"/> the server trusts: it is compiled or
/// re-validated here and its hash recomputed, whatever hash the client claims.
/// </summary>
internal static class PolicyIntake
{
    public static CompiledPolicy Accept(V1.CreateSandboxRequest request)
    {
        var policy = AcceptAsSent(request);
        return string.IsNullOrEmpty(request.ImageRef) ? policy : WithImage(policy, request.ImageRef);
    }

    /// <summary>
    /// The same policy running another image. The image is part of what the policy means, so the result is
    /// re-validated and gets its own hash.
    /// </summary>
    public static CompiledPolicy WithImage(CompiledPolicy policy, string pinnedReference)
    {
        var at = pinnedReference.LastIndexOf('@');
        if (at < 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"image {pinnedReference} is not pinned by digest; use name@sha256:<digest> (or a tag known to the image store)");
        }

        var document = JsonNode.Parse(policy.CanonicalJson)!.AsObject();
        document["image"] = new JsonObject { ["ref"] = pinnedReference, ["digest"] = pinnedReference[(at + 1)..] };
        return CompiledPolicy.FromCanonicalJson(document.ToJsonString());
    }

    private static CompiledPolicy AcceptAsSent(V1.CreateSandboxRequest request)
    {
        if (!string.IsNullOrEmpty(request.PolicyJson))
        {
            var policy = CompiledPolicy.FromCanonicalJson(request.PolicyJson);
            if (!string.IsNullOrEmpty(request.PolicyHash) && request.PolicyHash != policy.PolicyHash)
            {
                throw new CleanroomException(ErrorCode.PolicyInvalid,
                    $"policy_hash {request.PolicyHash} does not match the policy sent (it hashes to {policy.PolicyHash})");
            }

            return policy;
        }

        if (request.Policy is { } upstream)
        {
            return FromUpstreamShape(upstream);
        }

        throw new CleanroomException(ErrorCode.PolicyInvalid,
            "CreateSandbox needs a policy: policy_json (a compiled cleanroom.yaml) or policy");
    }

    public static SandboxPolicy ToSandboxPolicy(CompiledPolicy policy) => SandboxPolicy.Of(policy);

    /// <summary>
    /// Upstream clients send the older structured Policy message. It is rewritten as the equivalent policy
    /// document (JSON is YAML) and run through the same compiler, so both shapes meet the same rules.
    /// </summary>
    private static CompiledPolicy FromUpstreamShape(V1.Policy upstream)
    {
        var network = new JsonObject();
        if (!string.IsNullOrEmpty(upstream.NetworkDefault))
        {
            network["default"] = upstream.NetworkDefault;
        }

        if (upstream.Allow.Count > 0)
        {
            network["allow"] = new JsonArray(upstream.Allow
                .Select(rule => (JsonNode?)new JsonObject
                {
                    ["host"] = rule.Host,
                    ["ports"] = new JsonArray(rule.Ports.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
                })
                .ToArray());
        }

        var sandbox = new JsonObject { ["image"] = new JsonObject { ["ref"] = upstream.ImageRef } };
        if (network.Count > 0)
        {
            sandbox["network"] = network;
        }

        if (upstream.Services?.Docker is { } docker)
        {
            sandbox["docker"] = new JsonObject { ["required"] = docker.Required };
        }

        var document = new JsonObject { ["version"] = upstream.Version, ["sandbox"] = sandbox };
        var result = PolicyCompiler.Compile(document.ToJsonString(), "CreateSandboxRequest.policy");
        if (!result.Valid)
        {
            var first = result.Errors[0];
            var more = result.Errors.Count > 1 ? $" (and {result.Errors.Count - 1} more)" : "";
            throw new CleanroomException(first.Code, $"policy.{first.Path}: {first.Message}{more}");
        }

        return result.Policy!;
    }
}
