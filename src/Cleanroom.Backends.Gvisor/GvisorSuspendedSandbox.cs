using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// A suspended gVisor sandbox: its checkpoint, disk and run directory on the host, no process. Resume restores it;
/// terminate removes everything (the checkpoint with the run directory).
/// </summary>
internal sealed class GvisorSuspendedSandbox(SandboxLayout layout, ImageConfig image, SandboxSuspension suspension, SandboxTeardown teardown)
    : ISuspendedSandbox, ISnapshotSource
{
    public string SandboxId => layout.SandboxId;

    internal SandboxLayout Layout => layout;

    public Task<IProvisionedSandbox> ResumeAsync(CancellationToken cancellationToken) => suspension.ResumeAsync(layout, image, cancellationToken);

    public Task WriteSnapshotAsync(string directory, CancellationToken cancellationToken) => SnapshotFiles.WriteAsync(layout, directory, cancellationToken);

    public Task TerminateAsync(CancellationToken cancellationToken) => teardown.RunAsync(layout, connection: null);
}
