using Cleanroom.Images;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// After a server restart: takes back every sandbox the store still believes READY whose container runsc
/// lists as running and whose agent answers a handshake on its channel socket, then has
/// <see cref="LeftoverSweeper"/> remove everything else (expected sandboxes that did not answer included).
/// Sandboxes are re-adopted side by side, so a restart with many costs about as long as the slowest. A sandbox the
/// store holds SUSPENDED has no process to find: it is kept when its checkpoint is whole (<see cref="SuspendedCheck"/>),
/// and its next wake restores it as the server that suspended it would have.
/// </summary>
internal sealed class SandboxReadoption(GvisorBackendOptions options, Runsc runsc, SandboxTeardown teardown, SandboxSuspension suspension, ImageStore images, ILogger logger)
{
    /// <summary>A live agent answers in milliseconds; one that does not within this is treated as gone.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    public async Task<BackendReconciliation> RunAsync(IReadOnlyCollection<SandboxSpec> expected, CancellationToken cancellationToken)
    {
        var running = (await runsc.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(c => c.Status == "running")
            .Select(c => c.Id)
            .ToHashSet(StringComparer.Ordinal);
        var attempts = expected.Where(spec => !spec.Suspended).Select(spec => TryAdoptAsync(spec, running, cancellationToken)).ToArray();
        var adopted = (await Task.WhenAll(attempts).ConfigureAwait(false)).OfType<GvisorSandbox>().ToList();
        var kept = expected.Where(spec => spec.Suspended).Select(spec => TryKeepSuspended(spec, running)).OfType<GvisorSuspendedSandbox>().ToList();

        var keep = adopted.Select(s => s.SandboxId).Concat(kept.Select(s => s.SandboxId)).ToHashSet(StringComparer.Ordinal);
        var removed = await new LeftoverSweeper(options, runsc, teardown, logger).SweepAsync(keep, cancellationToken).ConfigureAwait(false);
        return new BackendReconciliation(adopted, removed) { KeptSuspended = kept };
    }

    private GvisorSuspendedSandbox? TryKeepSuspended(SandboxSpec spec, IReadOnlySet<string> running)
    {
        try
        {
            var layout = SandboxLayout.For(options.SandboxRoot, spec.SandboxId);
            if (SuspendedCheck.Problem(layout, running) is { } problem)
            {
                logger.LogWarning("suspended sandbox {SandboxId} cannot be kept: {Reason}", spec.SandboxId, problem);
                return null;
            }
            var image = images.Resolve(spec.ImageRef);
            logger.LogInformation("suspended sandbox {SandboxId} kept: its checkpoint in {Directory} is restored on its next use", spec.SandboxId, layout.CheckpointDirectory);
            return new GvisorSuspendedSandbox(layout, image.Config, suspension, teardown);
        }
        catch (Exception e) when (e is Errors.CleanroomException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("suspended sandbox {SandboxId} cannot be kept: {Reason}", spec.SandboxId, e.Message);
            return null;
        }
    }

    private async Task<GvisorSandbox?> TryAdoptAsync(SandboxSpec spec, IReadOnlySet<string> running, CancellationToken cancellationToken)
    {
        SandboxLayout layout;
        try
        {
            layout = SandboxLayout.For(options.SandboxRoot, spec.SandboxId);
        }
        catch (Errors.CleanroomException)
        {
            return null;
        }
        if (!running.Contains(layout.ContainerId))
        {
            logger.LogWarning("sandbox {SandboxId} cannot be re-adopted: runsc does not list its container as running", spec.SandboxId);
            return null;
        }
        try
        {
            var image = images.Resolve(spec.ImageRef);
            var sandbox = await GvisorSandbox.ConnectAsync(layout, image.Config, options, teardown, suspension, HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("sandbox {SandboxId} re-adopted: its agent answered on {Socket}", spec.SandboxId, layout.AgentSocketPath);
            return sandbox;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("sandbox {SandboxId} cannot be re-adopted: {Reason}", spec.SandboxId, e.Message);
            return null;
        }
    }
}
