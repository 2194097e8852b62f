using Cleanroom.Backends;

namespace Cleanroom.Server.Tests.Egress;

/// <summary>
/// An inner backend for <see cref="Cleanroom.Server.Egress.EnforcedBackend"/> that records what it saw when asked to
/// start a sandbox (did the namespace exist? was the host link up?) and what happened to the sandbox afterwards.
/// <see cref="HoldUntilCancelled"/> makes the start last until it is cancelled, like a runsc start that the
/// firewall's failure has to cut short.
/// </summary>
internal sealed class RecordingBackend : ISandboxBackend
{
    public bool HoldUntilCancelled { get; init; }

    public Func<NetworkAttachment, Task>? OnProvision { get; init; }

    public bool? NamespaceExistedAtStart { get; private set; }

    public bool StartWasCancelled { get; private set; }

    public RecordedSandbox? Started { get; private set; }

    public string Name => "recording";

    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult(BackendHealth.Ok());

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var attachment = spec.Attachment ?? throw new InvalidOperationException("the enforced backend gave no network");
        NamespaceExistedAtStart = File.Exists(attachment.NamespacePath);
        if (OnProvision is not null)
            await OnProvision(attachment);
        if (HoldUntilCancelled)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                StartWasCancelled = true;
                throw;
            }
        }
        Started = new RecordedSandbox(spec.SandboxId);
        return Started;
    }

    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken) =>
        Task.FromResult(BackendReconciliation.Nothing);

    internal sealed class RecordedSandbox(string sandboxId) : IProvisionedSandbox
    {
        public string SandboxId => sandboxId;

        public int ExecutionsStarted { get; private set; }

        public bool Terminated { get; private set; }

        public Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
        {
            ExecutionsStarted++;
            throw new InvalidOperationException("no execution is expected in these tests");
        }

        public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task TerminateAsync(CancellationToken cancellationToken)
        {
            Terminated = true;
            return Task.CompletedTask;
        }
    }
}
