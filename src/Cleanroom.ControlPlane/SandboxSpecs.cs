using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>The backend's view of a stored sandbox; the same spec is built at creation and at restart re-adoption.</summary>
internal static class SandboxSpecs
{
    public static SandboxSpec For(Sandbox sandbox) => new()
    {
        SandboxId = sandbox.Id,
        ImageRef = sandbox.ImageRef,
        Policy = sandbox.Policy,
        Resources = sandbox.Resources,
        Network = new NetworkRequirements(sandbox.Policy.HasEgressAllowRules, sandbox.AllowAll),
        RuntimeConfig = sandbox.RuntimeConfig,
    };
}
