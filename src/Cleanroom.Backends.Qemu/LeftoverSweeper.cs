using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Vm;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu;

/// <summary>
/// After a server restart, removes what earlier servers left under the sandbox root, except the sandboxes just
/// re-adopted (<c>keep</c>, by sandbox id): every other run directory <c>cleanroom-*</c> (its QEMU, found through
/// the pidfile and checked by name, is killed first) and any other QEMU still running with a pidfile under the root.
/// </summary>
internal sealed class LeftoverSweeper(QemuBackendOptions options, VmTeardown teardown, ILogger logger)
{
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<string>> SweepAsync(IReadOnlySet<string> keep)
    {
        var removed = new SortedSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(options.SandboxRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(options.SandboxRoot))
            {
                if (SandboxRunDirectory.SandboxIdOf(Path.GetFileName(directory)) is not { } sandboxId || keep.Contains(sandboxId))
                    continue; // not ours, or taken back
                logger.LogInformation("removing leftover VM run directory {Directory}", directory);
                await teardown.RunAsync(SandboxRunDirectory.For(options.SandboxRoot, sandboxId), connection: null, process: null).ConfigureAwait(false);
                if (!sandboxId.StartsWith("probe-", StringComparison.Ordinal))
                    removed.Add(sandboxId);
            }
        }

        foreach (var (pid, guestName) in HostPids.QemusUnder(Path.GetFullPath(options.SandboxRoot)))
        {
            if (SandboxRunDirectory.SandboxIdOf(guestName) is { } kept && keep.Contains(kept))
                continue;
            logger.LogWarning("killing QEMU pid {Pid} ({GuestName}) left under {Root}", pid, guestName, options.SandboxRoot);
            HostPids.KillAndWait(pid, KillWait);
            var sandboxId = SandboxRunDirectory.SandboxIdOf(guestName);
            if (sandboxId is not null && !sandboxId.StartsWith("probe-", StringComparison.Ordinal))
                removed.Add(sandboxId);
        }
        return removed.ToList();
    }
}
