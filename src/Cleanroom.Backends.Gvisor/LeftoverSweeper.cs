using Cleanroom.Backends.Gvisor.Disk;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// After a server restart, removes everything earlier servers left under this backend's roots, except the
/// sandboxes just re-adopted (<paramref name="keep"/>, by sandbox id): runsc containers named <c>cleanroom-*</c>
/// (killed and deleted, which also removes their cgroups), run directories <c>cleanroom-*</c> under the sandbox
/// root (with their disks), any other process still started with our runsc root, and last any other sandbox disk
/// still mounted or attached under the sandbox root.
/// </summary>
internal sealed class LeftoverSweeper(GvisorBackendOptions options, Runsc runsc, SandboxTeardown teardown, ILogger logger)
{
    public async Task<IReadOnlyList<string>> SweepAsync(IReadOnlySet<string> keep, CancellationToken cancellationToken)
    {
        var removed = new SortedSet<string>(StringComparer.Ordinal);

        // Containers first: deleting one stops its sandbox and gofer, so its run directory is no longer in use.
        foreach (var container in await runsc.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (SandboxLayout.SandboxIdOf(container.Id) is not { } sandboxId)
                continue; // not ours, even under our root: leave it
            if (keep.Contains(sandboxId))
                continue;
            logger.LogInformation("removing leftover gVisor container {ContainerId} ({Status})", container.Id, container.Status);
            var layout = SandboxLayout.For(options.SandboxRoot, sandboxId);
            await runsc.KillAsync(container.Id, cancellationToken).ConfigureAwait(false);
            await teardown.RunAsync(layout, connection: null).ConfigureAwait(false);
            removed.Add(sandboxId);
        }

        if (Directory.Exists(options.SandboxRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(options.SandboxRoot))
            {
                var name = Path.GetFileName(directory);
                // A probe's empty rootfs sits beside its run directory as "<run dir>.rootfs".
                var runName = name.EndsWith(".rootfs", StringComparison.Ordinal) ? name[..^".rootfs".Length] : name;
                if (SandboxLayout.SandboxIdOf(runName) is not { } sandboxId || keep.Contains(sandboxId))
                    continue;
                logger.LogInformation("removing leftover sandbox directory {Directory}", directory);
                if (name == runName)
                    await teardown.RunAsync(SandboxLayout.For(options.SandboxRoot, sandboxId), connection: null).ConfigureAwait(false);
                else
                    Directory.Delete(directory, recursive: true);
                removed.Add(sandboxId);
            }
        }

        // Anything else under our root (a half-started sandbox, a gofer whose sandbox died) has no owner now.
        var kept = keep.Select(id => SandboxLayout.For(options.SandboxRoot, id)).ToArray();
        var strays = RunscProcesses.UnderRoot(options.RunscRoot)
            .Except(kept.SelectMany(layout => RunscProcesses.OfSandbox(options.RunscRoot, layout.ContainerId, layout.RunDirectory)))
            .ToList();
        if (strays.Count > 0)
        {
            logger.LogWarning("killing runsc processes left under {Root}: {Pids}", options.RunscRoot, string.Join(", ", strays));
            RunscProcesses.Kill(strays);
        }

        // Disks the steps above did not reach: a mount or loop device whose run directory is gone or was not removable.
        // A re-adopted sandbox's disk is its writable layer: kept.
        removed.UnionWith(DiskLeftovers.Remove(options.SandboxRoot, keep, logger));
        return removed.ToList();
    }
}
