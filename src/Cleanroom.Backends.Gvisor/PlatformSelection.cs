namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Decides the platform for <c>backends.gvisor.platform</c>, the way the QEMU backend decides its accelerator:
/// <c>auto</c> starts a probe sandbox under systrap (a seccomp trap instead of a ptrace stop on every system
/// call: about 2.5x the pipe throughput on the reference host) and falls back to ptrace, which works on every
/// host, saying why. A platform named in the config is probed alone and never replaced: if it cannot start a
/// sandbox the backend is unusable with the reason (fail closed), so a host never runs on something the
/// operator did not choose. <paramref name="tryPlatform"/> starts one probe sandbox and returns null when it
/// worked, else what went wrong.
/// </summary>
internal sealed class PlatformSelection(PlatformChoice choice, Func<string, CancellationToken, Task<string?>> tryPlatform)
{
    /// <summary>The decision, or null with the reason when no acceptable platform starts a sandbox here.</summary>
    public async Task<(PlatformDecision? Decision, string? Problem)> DecideAsync(CancellationToken cancellationToken)
    {
        if (PlatformNames.Of(choice) is { } named)
        {
            var problem = await tryPlatform(named, cancellationToken).ConfigureAwait(false);
            return problem is null
                ? (new PlatformDecision(named, $"backends.gvisor.platform is {named}, and a probe sandbox started under it"), null)
                : (null, $"backends.gvisor.platform is {named}, but a probe sandbox did not start under it: {problem}. "
                    + "Set it to auto (systrap where it works, else ptrace) or to a platform this host runs");
        }

        var systrap = await tryPlatform(PlatformNames.Systrap, cancellationToken).ConfigureAwait(false);
        if (systrap is null)
            return (new PlatformDecision(PlatformNames.Systrap, "a probe sandbox started under systrap"), null);
        var ptrace = await tryPlatform(PlatformNames.Ptrace, cancellationToken).ConfigureAwait(false);
        if (ptrace is null)
            return (new PlatformDecision(PlatformNames.Ptrace, $"systrap failed here ({systrap}); ptrace works, with slower system calls", Degraded: true), null);
        return (null, $"no gVisor platform starts a sandbox here: systrap: {systrap}; ptrace: {ptrace}. "
            + "Check that the server runs as root and that runsc is Debian's bookworm-backports build (scripts/setup.sh installs it)");
    }
}
