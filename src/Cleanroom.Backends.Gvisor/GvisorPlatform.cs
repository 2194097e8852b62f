namespace Cleanroom.Backends.Gvisor;

/// <summary>What <c>backends.gvisor.platform</c> asks for: decide by probing, or the one named.</summary>
public enum PlatformChoice
{
    Auto,
    Systrap,
    Ptrace,
    Kvm,
}

/// <summary>
/// The gVisor platform (how the sentry intercepts the workload's system calls) this host's sandboxes run on,
/// and in words why; <c>doctor</c> shows both. <see cref="Degraded"/> is true when <c>auto</c> had to settle for
/// a slower platform than the one it prefers.
/// </summary>
public sealed record PlatformDecision(string Platform, string Reason, bool Degraded = false);

public static class PlatformNames
{
    public const string Systrap = "systrap";
    public const string Ptrace = "ptrace";
    public const string Kvm = "kvm";

    /// <summary>The runsc <c>--platform</c> value of an explicit choice; null for <see cref="PlatformChoice.Auto"/>.</summary>
    public static string? Of(PlatformChoice choice) => choice switch
    {
        PlatformChoice.Systrap => Systrap,
        PlatformChoice.Ptrace => Ptrace,
        PlatformChoice.Kvm => Kvm,
        _ => null,
    };
}
