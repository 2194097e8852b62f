using System.Diagnostics;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Cleanroom.Images;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Suspend and resume of gVisor sandboxes. Suspend: the agent lets go of its host sockets (runsc cannot checkpoint a
/// host socket), <c>runsc checkpoint</c> writes the sandbox's memory, processes and writable layer into its run
/// directory and stops it, and the stopped container is deleted, so nothing of the sandbox runs on the host. Its disk,
/// network namespace and firewall stay. Resume: the link's address is put back (see <see cref="RestoreRecipe"/>),
/// <c>runsc restore</c> starts the same sandbox from the checkpoint, SIGUSR1 wakes the agent, which listens again, and
/// the host connects as a re-adopting server does. See README.md, "Suspend and resume".
/// </summary>
internal sealed class SandboxSuspension(GvisorBackendOptions options, Runsc runsc, SandboxTeardown teardown, ProcessRunner runner, ILogger logger)
{
    /// <summary>A checkpoint writes all of a sandbox's memory; a large one takes a while on a slow disk.</summary>
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromMinutes(10);

    private const int WakeSignal = 10; // SIGUSR1: the agent listens again

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public async Task<ISuspendedSandbox> SuspendAsync(GvisorSandbox sandbox, CancellationToken cancellationToken)
    {
        var layout = sandbox.Layout;
        RestoreRecipe recipe;
        try
        {
            recipe = RestoreRecipe.Read(layout.RestoreRecipePath, ErrorCode.SuspendFailed);
        }
        catch (CleanroomException e)
        {
            throw new SandboxSuspendException($"sandbox {layout.SandboxId} cannot be suspended: {e.Message}", sandbox, e);
        }
        if (recipe.CheckpointProblem() is { } problem)
            throw new SandboxSuspendException($"sandbox {layout.SandboxId} cannot be suspended: {problem}", sandbox);

        var clock = Stopwatch.StartNew();
        try
        {
            await sandbox.ReleaseAgentAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SandboxSuspendException and not OutOfMemoryException)
        {
            // The connection is gone either way; the agent may be waiting to be woken, or may never have heard.
            throw await RecoverAsync(layout, sandbox.ImageConfig, $"its agent did not let go of its sockets ({e.Message})", e).ConfigureAwait(false);
        }
        var released = clock.ElapsedMilliseconds;
        // From here on the handle is retired: the sandbox is either suspended or handed back through a new handle.
        try
        {
            if (Directory.Exists(layout.CheckpointDirectory))
                Directory.Delete(layout.CheckpointDirectory, recursive: true); // a failed attempt's remains
            Directory.CreateDirectory(layout.CheckpointDirectory, OwnerOnly);
            await runsc.CheckpointAsync(layout.ContainerId, layout.CheckpointDirectory, layout.SuspendLogPath, CheckpointTimeout, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            TryDeleteCheckpoint(layout);
            // A failed checkpoint leaves the sandbox running; its agent only waits to be woken.
            throw await RecoverAsync(layout, sandbox.ImageConfig, $"runsc could not checkpoint it ({e.Message})", e).ConfigureAwait(false);
        }

        var checkpointed = clock.ElapsedMilliseconds;
        // The sentry stops once its state is saved; the stopped container (and its cgroup) goes, and nothing may be left.
        await runsc.DeleteAsync(layout.ContainerId, CancellationToken.None).ConfigureAwait(false);
        var strays = RunscProcesses.OfSandbox(runsc.Root, layout.ContainerId, layout.RunDirectory);
        if (strays.Count > 0)
        {
            logger.LogWarning("sandbox {SandboxId}: killing runsc processes left after its checkpoint: {Pids}", layout.SandboxId, string.Join(", ", strays));
            RunscProcesses.Kill(strays);
        }
        logger.LogInformation(
            "sandbox {SandboxId} suspended in {Elapsed} ms (agent let go {Released} ms, runsc checkpoint {Checkpoint} ms, delete {Delete} ms): checkpoint of {Bytes} bytes in {Directory}",
            layout.SandboxId, clock.ElapsedMilliseconds, released, checkpointed - released, clock.ElapsedMilliseconds - checkpointed, CheckpointBytes(layout), layout.CheckpointDirectory);
        return new GvisorSuspendedSandbox(layout, sandbox.ImageConfig, this, teardown);
    }

    public async Task<IProvisionedSandbox> ResumeAsync(SandboxLayout layout, ImageConfig image, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ReadyTimeout);
        try
        {
            var recipe = RestoreRecipe.Read(layout.RestoreRecipePath, ErrorCode.WakeFailed);
            if (!Directory.Exists(layout.CheckpointDirectory) || !Directory.EnumerateFiles(layout.CheckpointDirectory).Any())
                throw new IOException($"its checkpoint directory {layout.CheckpointDirectory} is missing or empty");
            await GiveBackAddressAsync(recipe, deadline.Token).ConfigureAwait(false);
            var restore = DetachedProgram.Start(
                runsc.RestoreArgv(recipe.Platform, layout.BundleDirectory, layout.ContainerId, layout.SuspendLogPath, layout.FilestoreDirectory,
                    layout.CheckpointDirectory, recipe.NetworkNamespace, recipe.SandboxStack),
                layout.StderrLogPath, readinessPipe: false, logger, ErrorCode.WakeFailed);
            var exit = await restore.Exited.WaitAsync(deadline.Token).ConfigureAwait(false);
            if (exit != 0)
                throw new IOException($"runsc restore exited with {exit}: {TextTail.OfFile(layout.StderrLogPath)}");
            var restored = clock.ElapsedMilliseconds;
            var sandbox = await WakeAgentAsync(layout, image, deadline.Token).ConfigureAwait(false);
            TryDeleteCheckpoint(layout);
            logger.LogInformation("sandbox {SandboxId} resumed in {Elapsed} ms (runsc restore {Restore} ms, agent back {Agent} ms)",
                layout.SandboxId, clock.ElapsedMilliseconds, restored, clock.ElapsedMilliseconds - restored);
            return sandbox;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing the attempt started may run on; the checkpoint and the logs stay for inspection.
            await runsc.DeleteAsync(layout.ContainerId, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            RunscProcesses.Kill(RunscProcesses.OfSandbox(runsc.Root, layout.ContainerId, layout.RunDirectory));
            try
            {
                FilestoreDisk.Remove(layout, logger); // the disk's mount goes; its image stays in the run directory
            }
            catch (IOException disk)
            {
                logger.LogWarning(disk, "sandbox {SandboxId}: could not remove its disk after a failed wake", layout.SandboxId);
            }
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            var reason = e is OperationCanceledException ? $"it did not answer within {options.ReadyTimeout.TotalSeconds:0} s" : e.Message;
            throw new CleanroomException(ErrorCode.WakeFailed,
                $"sandbox {layout.SandboxId} could not be woken from its checkpoint in {layout.CheckpointDirectory}: {reason}", e);
        }
    }

    /// <summary>
    /// After a suspend that failed with the sandbox still running: wakes its agent (a new connection, a new handle) and
    /// returns the <c>suspend_failed</c> to throw, carrying the running handle, or none when the agent did not answer.
    /// </summary>
    private async Task<SandboxSuspendException> RecoverAsync(SandboxLayout layout, ImageConfig image, string reason, Exception cause)
    {
        try
        {
            using var deadline = new CancellationTokenSource(options.ReadyTimeout);
            var running = await WakeAgentAsync(layout, image, deadline.Token).ConfigureAwait(false);
            return new SandboxSuspendException($"sandbox {layout.SandboxId} was not suspended: {reason}; it runs on", running, cause);
        }
        catch (Exception wake) when (wake is not OutOfMemoryException)
        {
            return new SandboxSuspendException($"sandbox {layout.SandboxId} was not suspended: {reason}; and its agent did not answer again: {wake.Message}", null, cause);
        }
    }

    /// <summary>
    /// Wakes a restored (or never checkpointed) agent with SIGUSR1, waits for its socket to appear, and connects: the
    /// same connect and handshake a server does when it re-adopts a running sandbox after a restart.
    /// </summary>
    private async Task<GvisorSandbox> WakeAgentAsync(SandboxLayout layout, ImageConfig image, CancellationToken cancellationToken)
    {
        if (File.Exists(layout.AgentSocketPath))
            File.Delete(layout.AgentSocketPath); // a dead socket must not pass for the agent listening again
        using var appearance = new ChannelSocketAppearance(layout);
        await runsc.SignalInitAsync(layout.ContainerId, WakeSignal, cancellationToken).ConfigureAwait(false);
        await appearance.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await GvisorSandbox.ConnectAsync(layout, image, options, teardown, this, options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// runsc's netstack took the link's address off the host's side when the sandbox started; a restore reads the
    /// sandbox's addresses from the link again, so they go back first (replace: a repeated wake is harmless).
    /// </summary>
    private async Task GiveBackAddressAsync(RestoreRecipe recipe, CancellationToken cancellationToken)
    {
        if (!recipe.SandboxStack || recipe.NetworkNamespace is not { } ns)
            return;
        string[] enter = ["nsenter", $"--net={ns}", "--"];
        (await runner.RunAsync([.. enter, "ip", "-4", "addr", "replace", $"{recipe.SandboxAddress}/{recipe.PrefixLength}", "dev", recipe.Interface!],
            options.CommandTimeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        if (recipe.GatewayAddress is { } gateway)
        {
            (await runner.RunAsync([.. enter, "ip", "-4", "route", "replace", "default", "via", gateway.ToString(), "dev", recipe.Interface!],
                options.CommandTimeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        }
    }

    private static long CheckpointBytes(SandboxLayout layout) =>
        Directory.EnumerateFiles(layout.CheckpointDirectory).Sum(file => new FileInfo(file).Length);

    private void TryDeleteCheckpoint(SandboxLayout layout)
    {
        try
        {
            if (Directory.Exists(layout.CheckpointDirectory))
                Directory.Delete(layout.CheckpointDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "sandbox {SandboxId}: could not remove its checkpoint", layout.SandboxId);
        }
    }
}
