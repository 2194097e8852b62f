using System.Text.Json;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.WarmPool;

/// <summary>
/// What makes two sandboxes interchangeable before their first execution: the requested backend and everything
/// a backend is given to make one (image, policy, resources, network requirements, runtime-config section). A
/// spare made for a key is exactly what a cold start of the same request would make, id aside, so handing it
/// out changes nothing a user or the enforcement can see.
/// </summary>
internal sealed record SpareKey(
    string? Backend, string ImageRef, string PolicyHash, SandboxResources Resources, bool AllowAll, string? RuntimeConfigJson)
{
    public static SpareKey For(CreateSandboxRequest request) => new(
        request.Backend,
        request.ImageRef,
        request.Policy.Hash,
        request.Resources,
        request.DangerouslyAllowAll,
        // JsonElement compares by reference; its raw text is the backend's settings as given.
        request.RuntimeConfig is { } section ? section.GetRawText() : null);
}
