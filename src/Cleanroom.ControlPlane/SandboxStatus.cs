namespace Cleanroom.ControlPlane;

/// <summary>Where a sandbox is in its life. Allowed moves are in <see cref="LifecycleTransitions"/>.</summary>
public enum SandboxStatus
{
    Provisioning,
    Ready,
    Stopping,
    Stopped,
    Failed,
}
