using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.WarmPool;

/// <summary>
/// A sandbox provisioned ahead of demand under an id no record has yet. <see cref="Ready"/> completes with the
/// backend's handle (or faults as a cold provisioning would); the sandbox that claims it takes over its id.
/// </summary>
internal sealed record SpareSandbox(string Id, SpareKey Key, ISandboxBackend Backend, Task<IProvisionedSandbox> Ready);
