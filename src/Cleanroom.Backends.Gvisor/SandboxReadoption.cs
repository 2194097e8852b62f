using Cleanroom.Images;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// After a server restart: takes back every sandbox the store still believes READY whose container runsc
/// lists as running and whose agent answers a handshake on its channel socket, then has
/// <see cref="LeftoverSweeper"/> remove everything else (expected sandboxes that did not answer included).
/// Sandboxes are re-adopted side by side, so a restart with many costs about as long as the slowest.
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
        var attempts = expected.Select(spec => TryAdoptAsync(spec, running, cancellationToken)).ToArray();
        var adopted = (await Task.WhenAll(attempts).ConfigureAwait(false)).OfType<GvisorSandbox>().ToList();

        var keep = adopted.Select(s => s.SandboxId).ToHashSet(StringComparer.Ordinal);
        var removed = await new LeftoverSweeper(options, runsc, teardown, logger).SweepAsync(keep, cancellationToken).ConfigureAwait(false);
        return new BackendReconciliation(adopted, removed);
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
