namespace Cleanroom.ControlPlane;

/// <summary>Where a sandbox is in its life. Allowed moves are in <see cref="LifecycleTransitions"/>.</summary>
public enum SandboxStatus
{
    Provisioning,
    Ready,
    Stopping,
    Stopped,
    Failed,

    /// <summary>Checkpointed to disk by its backend: no process runs; anything that touches the guest wakes it.</summary>
    Suspended,
}
