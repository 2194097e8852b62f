using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Cleanroom.Errors;
using Cleanroom.Backends;
using Cleanroom.Network;
using Cleanroom.Policy;
using Cleanroom.Server.Gateway;
using Cleanroom.Telemetry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Egress;

/// <summary>
/// Puts the egress enforcement around a backend that can run a sandbox inside a given network namespace: each
/// sandbox first gets its own namespace, link, firewall chains and policy resolver (Cleanroom.Network), then the
/// backend starts it there. With a host gateway, the sandbox also gets the gateway on its link (listener, identity,
/// <c>CLEANROOM_GATEWAY</c> and a placeholder per secret binding in every execution's environment, git's
/// <c>insteadOf</c> config in /etc/gitconfig); a policy binding a secret the server cannot provide is refused first.
/// Terminate removes the sandbox, then its network. If the network or its gateway cannot be made, the sandbox does not start.
/// </summary>
public sealed class EnforcedBackend(ISandboxBackend inner, SandboxNetworks networks, EgressEventRecorder recorder, ILogger logger, HostGateway? gateway = null) : ISandboxBackend
{
    public string Name => inner.Name;

    public BackendCapabilities Capabilities => inner.Capabilities
        .With(CapabilityNames.NetworkDefaultDeny, true)
        .With(CapabilityNames.NetworkEgressAllowlist, true)
        .With(CapabilityNames.NetworkDnsPolicy, true);

    public Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    /// <summary>
    /// Prepares the network (namespace and link, its host end down), then starts the sandbox in it while the
    /// firewall goes in beside (<see cref="SandboxNetwork.OpenAsync"/>: the nft transaction, the link up, the
    /// resolver). The sandbox is returned, and so can run a workload, only when both have finished; if either
    /// fails the other is cancelled, the sandbox (if it started) is terminated and the network removed.
    /// </summary>
    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var policy = spec.Policy.Compiled;
        RequireSecrets(policy);
        var stage = SandboxStages.StartingStage(spec.Policy);
        var networkSpan = CleanroomTelemetry.StartSpan("sandbox.network", spec.SandboxId);
        SandboxNetwork network;
        try
        {
            network = await networks.PrepareAsync(spec.SandboxId, stage, policy.Network[stage], spec.Network.AllowAll, cancellationToken);
        }
        catch (Exception e)
        {
            networkSpan.RecordFailure(e, (e as CleanroomException)?.Code);
            networkSpan?.Dispose();
            throw;
        }

        if (spec.Network.AllowAll)
        {
            recorder.AllowAllGranted(spec.SandboxId);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = new StrongBox<Exception?>();
        var opening = Task.Run(() => CancelOthersOnFailure(OpenNetworkAsync(network, spec, networkSpan, abort.Token), abort, first), CancellationToken.None);
        var starting = CancelOthersOnFailure(ProvisionInnerAsync(spec, network, spec.Policy.Compiled.Network.Execution, abort.Token), abort, first);
        try
        {
            await Task.WhenAll(opening, starting);
            var attachment = gateway is null ? null : await gateway.AttachAsync(spec.SandboxId, spec.Policy.Hash, network, policy.Secrets, policy.Network, policy.NpmLockfile);
            return new EnforcedSandbox(starting.Result, network, spec.Policy, attachment);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref first.Value, e, null);
            if (starting.IsCompletedSuccessfully)
            {
                await TerminateQuietlyAsync(starting.Result);
            }

            await network.DisposeAsync();
            // The root cause (the first failure), not the cancellation it caused on the other side.
            cancellationToken.ThrowIfCancellationRequested();
            ExceptionDispatchInfo.Throw(first.Value!);
            throw;
        }
    }

    /// <summary>
    /// The backend's own reconciliation; sandboxes it re-adopts, and suspended ones whose checkpoints it kept, get their
    /// network re-adopted too (rules reinstalled) and their gateway attached again. Networks of sandboxes nobody owns are
    /// removed afterwards by the server, across all backends at once.
    /// </summary>
    public async Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken)
    {
        var result = await inner.ReconcileAsync(expectedLive, cancellationToken);
        var adopted = new List<IProvisionedSandbox>();
        foreach (var sandbox in result.Readopted)
        {
            var enforcement = await TryAdoptEnforcementAsync(expectedLive.First(s => s.SandboxId == sandbox.SandboxId), cancellationToken);
            if (enforcement is { } e)
                adopted.Add(new EnforcedSandbox(sandbox, e.Network, e.Spec.Policy, e.Attachment));
            else
                await sandbox.TerminateAsync(cancellationToken); // fail closed: no enforcement, no sandbox
        }

        var kept = new List<ISuspendedSandbox>();
        foreach (var suspended in result.KeptSuspended)
        {
            var enforcement = await TryAdoptEnforcementAsync(expectedLive.First(s => s.SandboxId == suspended.SandboxId), cancellationToken);
            if (enforcement is { } e)
                kept.Add(new EnforcedSuspendedSandbox(suspended, e.Network, e.Spec.Policy, e.Attachment));
            else
                await suspended.TerminateAsync(cancellationToken);
        }

        return result with { Readopted = adopted, KeptSuspended = kept };
    }

    private sealed record AdoptedEnforcement(SandboxSpec Spec, SandboxNetwork Network, GatewayAttachment? Attachment);

    /// <summary>
    /// The network (with the execution stage's rules: a READY or SUSPENDED sandbox is in its execution stage) and gateway
    /// of a sandbox that outlived its server; null, logged, when they cannot be restored.
    /// </summary>
    private async Task<AdoptedEnforcement?> TryAdoptEnforcementAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var policy = spec.Policy.Compiled;
        try
        {
            var network = await networks.AdoptAsync(spec.SandboxId, SandboxStages.Execution, policy.Network.Execution, spec.Network.AllowAll, cancellationToken);
            try
            {
                // Placeholders are made anew: executions started from now on get the new ones in their environment.
                var attachment = gateway is null ? null : await gateway.AttachAsync(spec.SandboxId, spec.Policy.Hash, network, policy.Secrets, policy.Network, policy.NpmLockfile);
                return new AdoptedEnforcement(spec, network, attachment);
            }
            catch
            {
                await network.DisposeAsync();
                throw;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "cannot restore the network of sandbox {SandboxId}; removing it", spec.SandboxId);
            return null;
        }
    }

    /// <summary>
    /// Fail closed before anything starts: every secret the policy binds must be one this server holds and can read
    /// now (<c>secret_unavailable</c>, naming the ids, never a value). Without a gateway no secret can be provided.
    /// </summary>
    private void RequireSecrets(CompiledPolicy policy)
    {
        if (policy.Secrets.IsEmpty)
            return;
        if (gateway is null)
        {
            throw new CleanroomException(ErrorCode.SecretUnavailable,
                $"the policy binds secrets ({string.Join(", ", policy.Secrets.Select(s => s.Id))}) but this server has no host gateway to provide them");
        }

        gateway.Secrets.RequireAvailable(policy.Secrets);
    }

    private async Task<IProvisionedSandbox> ProvisionInnerAsync(SandboxSpec spec, SandboxNetwork network, ImmutableArray<EgressRule> rules, CancellationToken cancellationToken) =>
        await inner.ProvisionAsync(
            spec with
            {
                Attachment = new NetworkAttachment(network.NamespacePath, network.ResolvConf)
                {
                    Interface = network.SandboxInterface,
                    SandboxAddress = network.SandboxAddress,
                    GatewayAddress = network.HostAddress,
                    PrefixLength = network.PrefixLength,
                    GuestFiles = gateway is null
                        ? new Dictionary<string, string>()
                        : new Dictionary<string, string> { [GuestGitConfig.GuestPath] = GuestGitConfig.For(rules, gateway.AuthorityFor(network)) },
                },
            }, cancellationToken);

    /// <summary>Opens the network (in parallel with the sandbox's start) and tells the control plane's timing when it is up.</summary>
    private static async Task OpenNetworkAsync(SandboxNetwork network, SandboxSpec spec, Activity? span, CancellationToken cancellationToken)
    {
        using (span)
        {
            try
            {
                await network.OpenAsync(cancellationToken);
            }
            catch (Exception e)
            {
                span.RecordFailure(e, (e as CleanroomException)?.Code);
                throw;
            }
        }
        spec.OnNetworkReady?.Invoke();
    }

    private static async Task CancelOthersOnFailure(Task task, CancellationTokenSource others, StrongBox<Exception?> first)
    {
        try
        {
            await task;
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref first.Value, e, null);
            await others.CancelAsync();
            throw;
        }
    }

    private static async Task<T> CancelOthersOnFailure<T>(Task<T> task, CancellationTokenSource others, StrongBox<Exception?> first)
    {
        try
        {
            return await task;
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref first.Value, e, null);
            await others.CancelAsync();
            throw;
        }
    }

    private async Task TerminateQuietlyAsync(IProvisionedSandbox sandbox)
    {
        try
        {
            await sandbox.TerminateAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "terminating sandbox {SandboxId} after its network failed also failed", sandbox.SandboxId);
        }
    }

    private sealed class EnforcedSandbox(IProvisionedSandbox inner, SandboxNetwork network, SandboxPolicy policy, GatewayAttachment? gatewayAttachment)
        : IProvisionedSandbox, ISandboxFileTree, ISandboxPorts, ISandboxDisk, ISandboxStages, ISuspendableSandbox
    {
        /// <summary>
        /// The inner sandbox is checkpointed; its network (namespace, link, firewall, resolver) and gateway stay exactly as
        /// they are, since nothing in the namespace runs to use them, and the resumed sandbox gets them back unchanged.
        /// </summary>
        public async Task<ISuspendedSandbox> SuspendAsync(CancellationToken cancellationToken)
        {
            if (inner is not ISuspendableSandbox suspendable)
                throw new SandboxSuspendException($"sandbox {inner.SandboxId}'s backend cannot suspend it", this);
            try
            {
                return new EnforcedSuspendedSandbox(await suspendable.SuspendAsync(cancellationToken), network, policy, gatewayAttachment);
            }
            catch (SandboxSuspendException e) when (e.Running is { } running && !ReferenceEquals(running, this))
            {
                throw new SandboxSuspendException(e.Message, ReferenceEquals(running, inner) ? this : new EnforcedSandbox(running, network, policy, gatewayAttachment), e);
            }
        }

        public string Stage => network.Stage;

        public Task EnterStageAsync(string stage, CancellationToken cancellationToken) =>
            network.ApplyStageAsync(stage, policy.Compiled.Network[stage], cancellationToken);

        public void AttributeEgressTo(string? executionId) => network.ExecutionId = executionId;

        // The disk is the inner sandbox's alone; a backend without a readable one has none to report.
        public SandboxDiskUsage? ReadDiskUsage() => (inner as ISandboxDisk)?.ReadDiskUsage();

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

        // The gateway's address and the secret placeholders are the server's to say: values the caller sent under the
        // same names are replaced.
        public Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken) =>
            inner.StartExecutionAsync(gatewayAttachment is null ? spec : spec with
            {
                Env = [.. spec.Env.Where(e => !gatewayAttachment.GuestEnvironment.Any(g => g.Key == e.Key)), .. gatewayAttachment.GuestEnvironment],
            }, cancellationToken);

        public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken) => inner.OpenFileAsync(guestPath, cancellationToken);

        public async Task TerminateAsync(CancellationToken cancellationToken)
        {
            if (gatewayAttachment is not null)
                await gatewayAttachment.DisposeAsync();
            await inner.TerminateAsync(cancellationToken);
            await network.DisposeAsync();
        }
    }

    /// <summary>A suspended sandbox with its network and gateway kept; resume hands them to the restored sandbox.</summary>
    private sealed class EnforcedSuspendedSandbox(ISuspendedSandbox inner, SandboxNetwork network, SandboxPolicy policy, GatewayAttachment? gatewayAttachment)
        : ISuspendedSandbox, ISnapshotSource
    {
        public string SandboxId => inner.SandboxId;

        // A snapshot holds the sandbox's state alone: a sandbox started from it gets its own network and gateway.
        public Task WriteSnapshotAsync(string directory, CancellationToken cancellationToken) =>
            (inner as ISnapshotSource ?? throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"sandbox {inner.SandboxId}'s backend cannot take snapshots")).WriteSnapshotAsync(directory, cancellationToken);

        public async Task<IProvisionedSandbox> ResumeAsync(CancellationToken cancellationToken)
        {
            try
            {
                return new EnforcedSandbox(await inner.ResumeAsync(cancellationToken), network, policy, gatewayAttachment);
            }
            catch
            {
                // The sandbox is FAILED now and nothing of it runs: its network and gateway go (fail closed); the
                // backend keeps the checkpoint for inspection.
                if (gatewayAttachment is not null)
                    await gatewayAttachment.DisposeAsync();
                await network.DisposeAsync();
                throw;
            }
        }

        public async Task TerminateAsync(CancellationToken cancellationToken)
        {
            if (gatewayAttachment is not null)
                await gatewayAttachment.DisposeAsync();
            await inner.TerminateAsync(cancellationToken);
            await network.DisposeAsync();
        }
    }
}
