using System.Collections.Concurrent;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Store;
using Cleanroom.ControlPlane.WarmPool;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.ControlPlane;

/// <summary>
/// The control plane: the one owner of sandbox and execution state. It records every change durably
/// before it returns, drives backends, and serves the event and output streams. The API layer maps its
/// methods to SandboxService and ExecutionService. Thread-safe. See README.md for the state machine,
/// storage layout and restart reconciliation.
/// </summary>
/// <remarks>
/// The class is split by API area over several files (sandboxes, executions, streams); this file holds
/// opening, shutdown and the helpers they share.
/// </remarks>
public sealed partial class SandboxControl : IAsyncDisposable
{
    private readonly ControlPlaneOptions _options;
    private readonly BackendRegistry _backends;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private readonly ControlPlaneStore _store;
    private readonly ConcurrentDictionary<string, LiveSandbox> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ExecutionRun> _runs = new(StringComparer.Ordinal);
    private readonly SparePool _spares;
    private readonly Snapshots.SnapshotStore _snapshots;
    private readonly Setup.BlockCache? _blockCache;
    /// <summary>Makes an ensure's look-up and record one step (see <see cref="CreateSandboxRequest.EnsureKey"/>).</summary>
    private readonly Lock _ensureGate = new();
    private int _disposed;
    private IDisposable? _sandboxCounts;

    private SandboxControl(ControlPlaneOptions options, BackendRegistry backends, TimeProvider time, ILoggerFactory loggers, ControlPlaneStore store)
    {
        _options = options;
        _backends = backends;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SandboxControl>();
        _store = store;
        _spares = new SparePool(options.WarmPoolSize, loggers.CreateLogger<SparePool>());
        _snapshots = new Snapshots.SnapshotStore(Path.Combine(options.StateDirectory, "snapshots"));
        _snapshots.RemoveStaging();
        _blockCache = options.BlockCacheDirectory is { } cacheRoot
            ? new Setup.BlockCache(cacheRoot, options.BlockCacheMaxBytes, loggers.CreateLogger<Setup.BlockCache>())
            : null;
    }

    /// <summary>
    /// Raised with the sandbox's id once it is STOPPED or FAILED (after the store says so), so what the server holds
    /// for it (port listeners) goes with it. Handlers must be quick and must not throw.
    /// </summary>
    public event Action<string>? SandboxEnded;

    /// <summary>What startup reconciliation did.</summary>
    public ReconciliationReport Reconciliation { get; private set; } = null!;

    /// <summary>
    /// Opens (or creates) the store under <see cref="ControlPlaneOptions.StateDirectory"/>, then reconciles it
    /// with what the backends still run, before any request is served.
    /// </summary>
    /// <summary>
    /// Throws <see cref="StateDirectoryInUseException"/> now when another control plane holds
    /// <paramref name="stateDirectory"/>: a server checks this before its slow start-up work.
    /// </summary>
    public static void EnsureStateDirectoryFree(string stateDirectory) => Store.StateDatabase.EnsureNotInUse(stateDirectory);

    public static async Task<SandboxControl> OpenAsync(
        ControlPlaneOptions options, BackendRegistry backends, TimeProvider? time = null, ILoggerFactory? loggers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backends);
        if (options.WarmPoolRefillDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "WarmPoolRefillDelay must not be negative");
        if (options.WarmPoolSize < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "WarmPoolSize must not be negative");
        if (options.MaxRetainedBytesPerStream < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxRetainedBytesPerStream must not be negative");
        time ??= TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;

        var store = ControlPlaneStore.Open(options.StateDirectory);
        var control = new SandboxControl(options, backends, time, loggers, store);
        try
        {
            var reconciliation = new RestartReconciliation(store, backends, options, time, loggers.CreateLogger<RestartReconciliation>());
            var (report, readopted) = await reconciliation.RunAsync(cancellationToken).ConfigureAwait(false);
            foreach (var sandbox in readopted)
            {
                control._live[sandbox.Sandbox.Id] = new LiveSandbox(sandbox.Sandbox.Id, sandbox.Handle is null ? SandboxStatus.Suspended : SandboxStatus.Ready)
                {
                    Backend = sandbox.Backend,
                    Handle = sandbox.Handle,
                    Suspended = sandbox.Suspended,
                    RunBefore = RunBeforeCommand.Of(sandbox.Sandbox.Policy),
                    LastUsedTicks = time.GetTimestamp(),
                };
            }
            control.Reconciliation = report;
            control.StartRetention();
            control.StartIdleSuspend();
            control._sandboxCounts = Telemetry.CleanroomMetrics.ObserveSandboxCounts(store.CountSandboxesByStatus);
            return control;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Graceful shutdown: cancels provisioning, kills running executions (recorded FAILED, as a restart
    /// would), and closes the store. READY sandboxes are left running for the next start to re-adopt.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _retentionTimer?.Dispose();
        _idleTimer?.Dispose();
        _sandboxCounts?.Dispose();
        await _spares.DisposeAsync().ConfigureAwait(false);
        foreach (var live in _live.Values)
            live.ProvisioningCancel.Cancel();
        var runs = _runs.Values.ToArray();
        foreach (var run in runs)
            run.RequestStop(ExecutionStatus.Failed, RestartReconciliation.ExecutionInterruptedMessage, killNow: true);

        await WhenAllQuietly(_live.Values.Select(l => l.Provisioning)).ConfigureAwait(false);
        await WhenAllQuietly(_live.Values.Select(l => (Task?)l.Termination ?? Task.CompletedTask)).ConfigureAwait(false);
        await WhenAllQuietly(runs.Select(r => (Task)r.Finished)).ConfigureAwait(false);
        _store.Dispose();
    }

    private void EnsureOpen()
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new ObjectDisposedException(nameof(SandboxControl), "the control plane is shutting down");
    }

    private Sandbox RequireSandbox(string sandboxId)
    {
        ArgumentNullException.ThrowIfNull(sandboxId);
        return _store.GetSandbox(sandboxId) ?? throw new CleanroomException(ErrorCode.NotFound, $"sandbox {sandboxId} does not exist");
    }

    private Execution RequireExecution(string executionId)
    {
        ArgumentNullException.ThrowIfNull(executionId);
        return _store.GetExecution(executionId) ?? throw new CleanroomException(ErrorCode.NotFound, $"execution {executionId} does not exist");
    }

    /// <summary>Changes a live sandbox's status in the store and in memory; the caller holds <see cref="LiveSandbox.Gate"/>.</summary>
    private Sandbox Transition(LiveSandbox live, SandboxStatus to, string? failureCode = null, string? message = null)
    {
        var updated = _store.TransitionSandbox(live.Id, to, _time.GetUtcNow(), failureCode, message);
        live.Status = to;
        if (to != SandboxStatus.Provisioning)
            live.LeftProvisioning.TrySetResult();
        if (to is not (SandboxStatus.Provisioning or SandboxStatus.Ready))
            live.FirstUseEnded.TrySetResult();
        if (LifecycleTransitions.IsTerminal(to))
        {
            _live.TryRemove(live.Id, out _);
            _store.ForgetEventSignal(live.Id);
            SandboxEnded?.Invoke(live.Id);
        }
        _logger.LogInformation("sandbox {SandboxId} is {Status}{Message}", live.Id, StatusNames.Of(to), message is null ? "" : $": {message}");
        return updated;
    }

    private static async Task WhenAllQuietly(IEnumerable<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Shutdown waits for work to end; its failures were already recorded or logged where they happened.
        }
    }
}
