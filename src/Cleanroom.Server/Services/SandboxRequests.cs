using Cleanroom.ControlPlane;
using Cleanroom.Policy;

namespace Cleanroom.Server.Services;

/// <summary>
/// The control plane's request for a sandbox of a compiled policy. CreateSandbox and the warm pool's priming both
/// build it here, so a spare made at start matches the first create of the same policy exactly (see SpareKey).
/// </summary>
internal static class SandboxRequests
{
    public static CreateSandboxRequest For(CompiledPolicy policy, string? backend, bool allowAll, ServerSettings settings) => new()
    {
        Backend = backend,
        ImageRef = policy.Image.Reference,
        Policy = PolicyIntake.ToSandboxPolicy(policy),
        Resources = new Cleanroom.Backends.SandboxResources(policy.Resources.Vcpus, policy.Resources.MemoryBytes, policy.Resources.DiskBytes),
        RuntimeConfig = backend is null ? null : settings.BackendSection(backend),
        DangerouslyAllowAll = allowAll,
    };
}
