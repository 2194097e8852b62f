using Cleanroom.Errors;
using Cleanroom.Backends;
using Cleanroom.Network;
using Cleanroom.Policy;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Egress;

/// <summary>
/// Puts the egress enforcement around a backend that can run a sandbox inside a given network namespace: each
/// sandbox first gets its own namespace, link, firewall chains and policy resolver (Cleanroom.Network), then the
/// backend starts it there. Terminate removes the sandbox, then its network. If the network cannot be made, the
/// sandbox does not start.
/// </summary>
public sealed class EnforcedBackend(ISandboxBackend inner, SandboxNetworks networks, EgressEventRecorder recorder, ILogger logger) : ISandboxBackend
{
    /// <summary>The stage whose rules executions run under (the other stages come with workspaces and dependencies).</summary>
    public const string ExecutionStage = "execution";

    public string Name => inner.Name;

    public BackendCapabilities Capabilities => inner.Capabilities
        .With(CapabilityNames.NetworkDefaultDeny, true)
        .With(CapabilityNames.NetworkEgressAllowlist, true)
        .With(CapabilityNames.NetworkDnsPolicy, true);

    public Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var rules = CompiledPolicy.FromCanonicalJson(spec.Policy.CanonicalJson).Network.Execution;
        var network = await networks.CreateAsync(spec.SandboxId, ExecutionStage, rules, spec.Network.AllowAll, cancellationToken);
        if (spec.Network.AllowAll)
        {
            recorder.AllowAllGranted(spec.SandboxId);
        }

        try
        {
            var sandbox = await inner.ProvisionAsync(
                spec with
                {
                    Attachment = new NetworkAttachment(network.NamespacePath, network.ResolvConf)
                    {
                        Interface = network.SandboxInterface,
                        SandboxAddress = network.SandboxAddress,
                        GatewayAddress = network.HostAddress,
                        PrefixLength = network.PrefixLength,
                    },
                }, cancellationToken);
            return new EnforcedSandbox(sandbox, network);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The backend's own reconciliation; sandboxes it re-adopts get their network re-adopted too (rules reinstalled).
    /// Networks of sandboxes nobody owns are removed afterwards by the server, across all backends at once.
    /// </summary>
    public async Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken)
    {
        var result = await inner.ReconcileAsync(expectedLive, cancellationToken);
        var adopted = new List<IProvisionedSandbox>();
        foreach (var sandbox in result.Readopted)
        {
            var spec = expectedLive.First(s => s.SandboxId == sandbox.SandboxId);
            var rules = CompiledPolicy.FromCanonicalJson(spec.Policy.CanonicalJson).Network.Execution;
            try
            {
                var network = await networks.AdoptAsync(sandbox.SandboxId, ExecutionStage, rules, spec.Network.AllowAll, cancellationToken);
                adopted.Add(new EnforcedSandbox(sandbox, network));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Fail closed: a sandbox whose enforcement cannot be restored is not handed back.
                logger.LogError(e, "cannot restore the network of sandbox {SandboxId}; terminating it", sandbox.SandboxId);
                await sandbox.TerminateAsync(cancellationToken);
            }
        }

        return result with { Readopted = adopted };
    }

    private sealed class EnforcedSandbox(IProvisionedSandbox inner, SandboxNetwork network) : IProvisionedSandbox, ISandboxFileTree, ISandboxPorts
    {
        // Connections into the sandbox are made from inside it (the agent), so they pass no egress rule.
        public Task<SandboxPortConnection> ConnectPortAsync(ushort port, CancellationToken cancellationToken) =>
            (inner as ISandboxPorts ?? throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"sandbox {inner.SandboxId}'s backend cannot connect to its ports")).ConnectPortAsync(port, cancellationToken);

        private ISandboxFileTree Tree => inner as ISandboxFileTree
            ?? throw new CleanroomException(ErrorCode.BackendCapabilityMismatch, $"sandbox {inner.SandboxId}'s backend cannot copy file trees");

        public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
            Tree.ReadArchiveAsync(guestRoot, members, cancellationToken);

        public Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
            Tree.WriteArchiveAsync(guestRoot, archive, cancellationToken);

        public IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken) =>
            Tree.ListTreeAsync(guestRoot, excludedNames, maxEntries, cancellationToken);

        public string SandboxId => inner.SandboxId;

        public Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken) =>
            inner.StartExecutionAsync(spec, cancellationToken);

        public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken) => inner.OpenFileAsync(guestPath, cancellationToken);

        public async Task TerminateAsync(CancellationToken cancellationToken)
        {
            await inner.TerminateAsync(cancellationToken);
            await network.DisposeAsync();
        }
    }
}
