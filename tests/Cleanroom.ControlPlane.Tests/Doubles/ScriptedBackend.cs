using System.Collections.Concurrent;
using System.Threading.Channels;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Tests.Doubles;

/// <summary>
/// An in-memory backend whose behaviour each test sets: capabilities, health, provisioning that waits
/// for a gate or fails, and which sandboxes it re-adopts after a restart. It records every call.
/// </summary>
internal sealed class ScriptedBackend(string name = "scripted") : ISandboxBackend
{
    public static readonly BackendCapabilities FullCapabilities = BackendCapabilities.None
        .With(CapabilityNames.Isolation, CapabilityNames.IsolationUserSpaceKernel)
        .With(CapabilityNames.NetworkDefaultDeny, true)
        .With(CapabilityNames.NetworkEgressAllowlist, true)
        .With(CapabilityNames.NetworkDnsPolicy, true)
        .With(CapabilityNames.PersistentSandboxes, true)
        .With(CapabilityNames.FileDownload, true)
        .With(CapabilityNames.Tty, true)
        .With(CapabilityNames.DiskLimit, true);

    /// <summary>The one file a scripted snapshot holds: the sandbox's files.</summary>
    public const string SnapshotFile = "files.txt";

    private int _provisionCalls;
    private int _probeCalls;

    public string Name { get; } = name;
    public BackendCapabilities Capabilities { get; set; } = FullCapabilities;
    public BackendHealth Health { get; set; } = BackendHealth.Ok();
    /// <summary>When set, provisioning waits for it (or for cancellation).</summary>
    public TaskCompletionSource? ProvisionGate { get; set; }
    public Exception? ProvisionFailure { get; set; }
    /// <summary>Per-call behaviour by call number (1 is the first provisioning); when it returns one, it replaces the gate and failure above.</summary>
    public Func<int, ProvisionScript?>? Script { get; set; }
    /// <summary>Every provisioning's outcome in order: the sandbox id, and whether it succeeded.</summary>
    public Channel<(string Id, bool Succeeded)> Provisioned { get; } = Channel.CreateUnbounded<(string, bool)>();
    /// <summary>Ids of sandboxes as they are terminated.</summary>
    public Channel<string> Terminated { get; } = Channel.CreateUnbounded<string>();
    public string? StartFailure { get; set; }
    /// <summary>When set, a wake of a suspended sandbox fails with <c>wake_failed</c> and this message.</summary>
    public string? WakeFailure { get; set; }
    /// <summary>When set, a suspend fails and the sandbox runs on.</summary>
    public string? SuspendFailure { get; set; }
    public bool ExecutionsIgnoreSigterm { get; set; }
    /// <summary>Sandbox ids <see cref="ReconcileAsync"/> re-adopts (or keeps suspended) when they are expected.</summary>
    public HashSet<string> Survivors { get; } = [];
    public List<string> Leftovers { get; } = [];
    public List<IReadOnlyCollection<SandboxSpec>> ReconcileCalls { get; } = [];
    public ConcurrentDictionary<string, ScriptedSandbox> Sandboxes { get; } = new();
    public TaskCompletionSource ProvisionCanceled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource ProvisionStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ProvisionCalls => Volatile.Read(ref _provisionCalls);
    public int ProbeCalls => Volatile.Read(ref _probeCalls);

    /// <summary>When set, a probe waits for it before answering (a probe that takes a while, like a probe sandbox).</summary>
    public TaskCompletionSource? ProbeGate { get; set; }

    public async Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _probeCalls);
        if (ProbeGate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        return Health;
    }

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _provisionCalls);
        ProvisionStarted.TrySetResult();
        var script = Script?.Invoke(call);
        if ((script is null ? ProvisionGate : script.Gate) is { } gate)
        {
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                ProvisionCanceled.TrySetResult();
                throw;
            }
        }
        if ((script is null ? ProvisionFailure : script.Failure) is { } failure)
        {
            Provisioned.Writer.TryWrite((spec.SandboxId, false));
            throw failure;
        }
        var sandbox = new ScriptedSandbox(spec.SandboxId, this);
        if (spec.SnapshotDirectory is { } snapshot)
        {
            foreach (var line in File.ReadAllLines(Path.Combine(snapshot, SnapshotFile)))
                sandbox.Files[line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
        }
        Sandboxes[spec.SandboxId] = sandbox;
        Provisioned.Writer.TryWrite((spec.SandboxId, true));
        return sandbox;
    }

    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken)
    {
        ReconcileCalls.Add(expectedLive);
        var readopted = expectedLive
            .Where(spec => !spec.Suspended && Survivors.Contains(spec.SandboxId))
            .Select(spec => Sandboxes.GetOrAdd(spec.SandboxId, id => new ScriptedSandbox(id, this)))
            .ToArray<IProvisionedSandbox>();
        // A suspended survivor's checkpoint is whole: kept suspended, for its next use to wake.
        var kept = expectedLive
            .Where(spec => spec.Suspended && Survivors.Contains(spec.SandboxId))
            .Select(spec => Sandboxes.GetOrAdd(spec.SandboxId, id => new ScriptedSandbox(id, this)).KeptSuspended())
            .ToArray();
        var removed = Leftovers.Concat(expectedLive.Select(s => s.SandboxId).Where(id => !Survivors.Contains(id))).ToArray();
        return Task.FromResult(new BackendReconciliation(readopted, removed) { KeptSuspended = kept });
    }
}

/// <summary>What one provisioning call of <see cref="ScriptedBackend"/> does: wait for a gate, then fail or succeed.</summary>
internal sealed record ProvisionScript(TaskCompletionSource? Gate = null, Exception? Failure = null);
