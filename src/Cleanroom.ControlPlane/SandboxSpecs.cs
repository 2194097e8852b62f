using System.Text.Json;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// The backend's view of a sandbox; the same spec is built at creation, at restart re-adoption, and for a spare
/// of the warm pool (from the request it is made for).
/// </summary>
internal static class SandboxSpecs
{
    public static SandboxSpec For(Sandbox sandbox) =>
        Build(sandbox.Id, sandbox.ImageRef, sandbox.Policy, sandbox.Resources, sandbox.AllowAll, sandbox.RuntimeConfig);

    public static SandboxSpec For(string sandboxId, CreateSandboxRequest request) =>
        Build(sandboxId, request.ImageRef, request.Policy, request.Resources, request.DangerouslyAllowAll, request.RuntimeConfig);

    private static SandboxSpec Build(string id, string imageRef, SandboxPolicy policy, SandboxResources resources, bool allowAll, JsonElement? runtimeConfig) => new()
    {
        SandboxId = id,
        ImageRef = imageRef,
        Policy = policy,
        Resources = resources,
        Network = new NetworkRequirements(policy.HasEgressAllowRules, allowAll),
        RuntimeConfig = runtimeConfig,
    };
}
