using Cleanroom.Backends;
using Cleanroom.ControlPlane.Setup;
using Cleanroom.ControlPlane.WarmPool;
using Cleanroom.Errors;
using Cleanroom.Telemetry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

// Sandbox lifecycle: create, read, terminate, file download.
public sealed partial class SandboxControl
{
    /// <summary>
    /// Records the sandbox as PROVISIONING, then checks that the backend is usable and can enforce the
    /// policy, failing closed (the sandbox is recorded FAILED with the code and the error is thrown) before
    /// anything is provisioned. Provisioning (<see cref="CreateSandboxRequest.Prepare"/>, then the backend) then
    /// runs in the background; with
    /// <see cref="CreateSandboxRequest.WaitUntilReady"/> this returns only once the sandbox is READY.
    /// </summary>
    public async Task<Sandbox> CreateSandboxAsync(CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        EnsureOpen();
        RequestValidation.Check(request);
        // Checked before anything is recorded: a refused snapshot leaves no FAILED sandbox behind.
        var snapshotDirectory = request.FromSnapshot is { } snapshotId ? ResolveSnapshotFor(request, snapshotId) : null;
        SpareKey key;
        SpareSandbox? spare;
        Sandbox sandbox;
        LiveSandbox live;
        if (request.EnsureKey is { } ensureKey)
        {
            Sandbox? existing;
            // Look-up and record are one step for every ensure: two callers with one key get one sandbox.
            lock (_ensureGate)
            {
                existing = FindEnsured(ensureKey, request.Owner);
                (key, spare, sandbox, live) = existing is null ? Record(request) : default;
            }
            if (existing is not null)
                return await ReuseEnsuredAsync(existing, request, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (key, spare, sandbox, live) = Record(request);
        }
        var spec = SandboxSpecs.For(sandbox) with { SnapshotDirectory = snapshotDirectory };

        ISandboxBackend backend;
        try
        {
            backend = spare?.Backend ?? await _backends.ResolveUsableAsync(request.Backend, cancellationToken).ConfigureAwait(false);
            _store.SetBackend(sandbox.Id, backend.Name, _time.GetUtcNow());
            if (request.AllowedBackends is { } allowed && !allowed.Contains(backend.Name, StringComparer.Ordinal))
            {
                throw new CleanroomException(ErrorCode.AccessDenied,
                    $"this server's backend for the request is {backend.Name}, which the caller may not use (it may use {(allowed.Count == 0 ? "none" : string.Join(", ", allowed))}); ask for one with --backend");
            }
            CapabilityCheck.EnsureSatisfied(backend.Name, backend.Capabilities, spec);
        }
        catch (Exception ex)
        {
            var (code, message) = ex switch
            {
                CleanroomException known => (known.Code, known.Message),
                OperationCanceledException => ((string?)null, "sandbox creation was canceled before provisioning"),
                _ => (ErrorCode.BackendUnavailable, $"choosing a backend failed: {ex.Message}"),
            };
            if (spare is not null)
                _spares.Discard(spare);
            lock (live.Gate)
                Transition(live, SandboxStatus.Failed, code, message);
            throw;
        }

        lock (live.Gate)
        {
            live.Backend = backend;
            live.Provisioning = Task.Run(() => ProvisionAsync(live, backend, spec, request, key, spare));
        }
        if (request.WaitUntilReady)
            return await WaitUntilReadyAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
        return _store.GetSandbox(sandbox.Id)!;
    }

    /// <summary>Records a new sandbox as PROVISIONING (taking a warm spare of its spec, if any) and tracks it as live.</summary>
    private (SpareKey Key, SpareSandbox? Spare, Sandbox Sandbox, LiveSandbox Live) Record(CreateSandboxRequest request)
    {
        var now = _time.GetUtcNow();
        var key = SpareKey.For(request);
        // A spare made for this very spec becomes the sandbox: the record takes the spare's id, which names
        // everything the backend made for it (namespace, container, run directory).
        // A sandbox from a snapshot is restored, never a booted spare.
        var spare = request.FromSnapshot is null ? _spares.Take(key) : null;
        var labels = new Dictionary<string, string>(request.Labels, StringComparer.Ordinal);
        if (request.EnsureKey is { } ensureKey)
            labels[CreateSandboxRequest.EnsureKeyLabel] = ensureKey;
        var sandbox = new Sandbox
        {
            Id = spare?.Id ?? Ids.NewSandboxId(),
            Status = SandboxStatus.Provisioning,
            Backend = request.Backend,
            ImageRef = request.ImageRef,
            Policy = request.Policy,
            AllowAll = request.DangerouslyAllowAll,
            Resources = request.Resources,
            RuntimeConfig = request.RuntimeConfig,
            Labels = labels,
            CreatedAt = now,
            UpdatedAt = now,
            Owner = request.Owner,
        };
        CleanroomMetrics.WarmPoolRequests.Add(1, CleanroomMetrics.Hit(spare is not null));
        var live = new LiveSandbox(sandbox.Id, SandboxStatus.Provisioning)
        {
            UnclaimedStartup = new SandboxStartup(now),
            RunBefore = RunBeforeCommand.Of(request.Policy),
            WorkspaceFollows = request.WorkspaceFollows,
            Repository = request.Repository,
            NoCache = request.NoCache,
        };
        _store.InsertSandbox(sandbox);
        _live[sandbox.Id] = live;
        return (key, spare, sandbox, live);
    }

    /// <summary>
    /// Makes <paramref name="request"/>'s spec the one the warm pool keeps spares for, without creating a sandbox:
    /// the next create of that spec takes a spare. Fails like a create would when the backend is unusable or cannot
    /// enforce the policy; does nothing when the pool is off. Returns once the spares are starting, not ready.
    /// </summary>
    public async Task WarmUpAsync(CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        EnsureOpen();
        RequestValidation.Check(request);
        var backend = await _backends.ResolveUsableAsync(request.Backend, cancellationToken).ConfigureAwait(false);
        CapabilityCheck.EnsureSatisfied(backend.Name, backend.Capabilities, SandboxSpecs.For("sb-warmup", request));
        _spares.Replenish(SpareKey.For(request), request, backend);
    }

    /// <summary>
    /// Waits until the sandbox has left PROVISIONING and returns it if READY; otherwise throws with the
    /// recorded failure code (or <c>runtime_launch_failed</c>), or <c>invalid_argument</c> if it was terminated.
    /// </summary>
    public async Task<Sandbox> WaitUntilReadyAsync(string sandboxId, CancellationToken cancellationToken)
    {
        RequireSandbox(sandboxId);
        if (_live.TryGetValue(sandboxId, out var live))
            await live.Provisioning.WaitAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = RequireSandbox(sandboxId);
        return sandbox.Status switch
        {
            SandboxStatus.Ready or SandboxStatus.Suspended => sandbox, // a suspended one wakes when it is used
            SandboxStatus.Failed => throw new CleanroomException(sandbox.FailureCode ?? ErrorCode.RuntimeLaunchFailed, sandbox.FailureMessage ?? "the sandbox failed"),
            _ => throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(sandbox.Status)}; it was terminated before it became ready"),
        };
    }

    public Task<Sandbox> GetSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(RequireSandbox(sandboxId));
    }

    /// <summary>The images the warm pool's spares run: not sandboxes of any record, but in use all the same.</summary>
    public IReadOnlyList<string> WarmPoolImageRefs() => _spares.ImageRefs();

    /// <summary>The store of setup blocks' outputs, when the server keeps one.</summary>
    public Setup.BlockCache? BlockCache => _blockCache;

    /// <summary>The warm pool's spares: live sandboxes (with storage of their own) that no record lists.</summary>
    public IReadOnlyList<string> WarmPoolSandboxIds() => _spares.SandboxIds();

    /// <summary>Every sandbox the store knows, oldest first, including STOPPED and FAILED ones.</summary>
    public Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_store.ListSandboxes());
    }

    /// <summary>
    /// STOPPING, then kills running executions (recorded CANCELED), has the backend remove everything the
    /// sandbox made, and records STOPPED (FAILED if the backend could not clean up). Terminating while
    /// provisioning cancels it. Idempotent: a sandbox already stopping is awaited, an ended one returned as is.
    /// </summary>
    public async Task<Sandbox> TerminateSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var sandbox = RequireSandbox(sandboxId);
        if (!_live.TryGetValue(sandboxId, out var live))
            return sandbox;
        Task<Sandbox> termination;
        lock (live.Gate)
        {
            if (live.Termination is null)
            {
                if (LifecycleTransitions.IsTerminal(live.Status))
                    return RequireSandbox(sandboxId);
                Transition(live, SandboxStatus.Stopping, message: "termination requested");
                var runs = live.Runs.Values.ToArray();
                live.Termination = Task.Run(() => StopAsync(live, runs));
            }
            termination = live.Termination;
        }
        return await termination.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a file in a READY sandbox for reading; the backend must claim <c>file_download</c>.</summary>
    public async Task<Stream> OpenFileAsync(string sandboxId, string guestPath, CancellationToken cancellationToken)
    {
        EnsureOpen();
        RequestValidation.CheckGuestPath(guestPath);
        var live = RequireUsable(sandboxId);
        if (!live.Backend!.Capabilities.Supports(CapabilityNames.FileDownload))
        {
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"backend '{live.Backend.Name}' cannot download files: it lacks {CapabilityNames.FileDownload}");
        }
        var handle = await AwakeAsync(live, "woken for a file download", cancellationToken).ConfigureAwait(false);
        return await handle.OpenFileAsync(guestPath, cancellationToken).ConfigureAwait(false);
    }

    private async Task ProvisionAsync(LiveSandbox live, ISandboxBackend backend, SandboxSpec spec, CreateSandboxRequest request, SpareKey key, SpareSandbox? spare)
    {
        IProvisionedSandbox? handle = null;
        Exception? failure = null;
        var claiming = false;
        var startup = live.UnclaimedStartup;
        using var span = CleanroomTelemetry.StartSpan("sandbox.provision", live.Id);
        span?.SetTag(TelemetryTags.Backend, backend.Name);
        span?.SetTag(TelemetryTags.ImageRef, spec.ImageRef);
        try
        {
            if (request.Prepare is { } prepare)
            {
                using (CleanroomTelemetry.StartSpan("sandbox.image", live.Id))
                    await prepare(live.Id, live.ProvisioningCancel.Token).ConfigureAwait(false);
            }
            startup?.MarkImageReady(_time.GetUtcNow());
            claiming = spare is not null;
            var timed = spec with { OnNetworkReady = () => startup?.MarkNetworkReady(_time.GetUtcNow()) };
            IProvisionedSandbox started;
            using (CleanroomTelemetry.StartSpan(spare is null ? "sandbox.start" : "sandbox.claim_spare", live.Id))
            {
                started = spare is null
                    ? await backend.ProvisionAsync(timed, live.ProvisioningCancel.Token).ConfigureAwait(false)
                    : await _spares.ClaimAsync(spare, timed, live.ProvisioningCancel.Token).ConfigureAwait(false);
            }
            // Set up before it is handed over: a sandbox whose setup failed has been removed and is never READY.
            await SetUpAsync(live, started, spec, live.ProvisioningCancel.Token).ConfigureAwait(false);
            handle = started;
        }
        catch (Exception ex)
        {
            failure = ex;
            span.RecordFailure(ex, (ex as CleanroomException)?.Code);
            // An upload waiting for this sandbox to accept its workspace hears why it never will.
            live.WorkspaceTarget.TrySetException(ex);
            // A spare taken for a sandbox that failed before claiming it (its image could not be prepared, or it
            // was terminated meanwhile) would run on unowned; ClaimAsync disposes of it in its own failures.
            if (spare is not null && !claiming)
                _spares.Discard(spare);
        }

        try
        {
            lock (live.Gate)
            {
                live.Handle = handle;
                // Terminate moved it to STOPPING meanwhile: it owns the outcome and will remove the handle.
                if (live.Status != SandboxStatus.Provisioning)
                    return;
                var outcome = new KeyValuePair<string, object?>(TelemetryTags.Status, handle is null ? "FAILED" : "READY");
                CleanroomMetrics.SandboxCreateDuration.Record((_time.GetUtcNow() - (startup?.CreatedAt ?? _time.GetUtcNow())).TotalSeconds,
                    new KeyValuePair<string, object?>(TelemetryTags.Backend, backend.Name), outcome, CleanroomMetrics.Hit(spare is not null));
                if (handle is not null)
                {
                    startup?.MarkSandboxReady(_time.GetUtcNow());
                    live.LastUsedTicks = _time.GetTimestamp();
                    Transition(live, SandboxStatus.Ready, message: spare is null ? null : "taken from the warm pool (provisioned ahead for this spec)");
                    ReplenishAfterFirstUse(live, key, request, backend);
                    return;
                }
                var (code, message) = failure switch
                {
                    CleanroomException known => (known.Code, known.Message),
                    OperationCanceledException => ((string?)null, "server shut down while the sandbox was being provisioned"),
                    _ => (ErrorCode.RuntimeLaunchFailed, $"provisioning failed: {failure?.Message}"),
                };
                Transition(live, SandboxStatus.Failed, code, message);
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "recording the provisioning outcome of sandbox {SandboxId} failed", live.Id);
        }
    }

    /// <summary>
    /// Runs the policy's setup stages (<see cref="SandboxSetup"/>) in a just-started sandbox. If they fail, the sandbox
    /// is removed with everything it made before the failure is rethrown, so a FAILED sandbox holds nothing.
    /// </summary>
    private async Task SetUpAsync(LiveSandbox live, IProvisionedSandbox handle, SandboxSpec spec, CancellationToken cancellationToken)
    {
        var sandboxId = live.Id;
        var policy = spec.Policy.Compiled;
        if (spec.SnapshotDirectory is not null)
            return; // the snapshot holds what setup made
        if (!SandboxSetup.IsNeeded(policy) && !live.WorkspaceFollows && live.Repository is null)
            return;
        using var span = CleanroomTelemetry.StartSpan("sandbox.setup", sandboxId);
        try
        {
            if (live.Repository is { } repository)
                await CheckOutAsync(live, handle, repository, policy.RepositoryPath, cancellationToken).ConfigureAwait(false);
            if (live.WorkspaceFollows)
                await AwaitWorkspaceAsync(live, handle, cancellationToken).ConfigureAwait(false);
            if (SandboxSetup.IsNeeded(policy))
            {
                await new SandboxSetup(sandboxId, handle, policy, (id, payload) => RecordEvent(id, SandboxEventTypes.Stage, payload.ToJsonString()),
                    SetupCacheOf(live, spec)).RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            try
            {
                await handle.TerminateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "removing sandbox {SandboxId} after its setup failed also failed", sandboxId);
            }
            throw;
        }
    }

    /// <summary>
    /// The block cache as this sandbox's setup uses it: scoped to the repository its workspace came from (the host
    /// checkout, or the URL of a server-side checkout), keyed on the workspace's files. A sandbox without a workspace
    /// has no repository to key on: its blocks run uncached.
    /// </summary>
    private SetupCache? SetupCacheOf(LiveSandbox live, SandboxSpec spec)
    {
        if (_blockCache is null || _store.GetWorkspace(live.Id) is not { } json)
            return null;
        var workspace = Cleanroom.Workspace.WorkspaceRecord.FromJson(json);
        return new SetupCache(_blockCache, BlockCache.ScopeOf(workspace.CheckoutPath), workspace.Baseline, spec.Policy.Compiled.Image.Digest, live.NoCache);
    }

    /// <summary>
    /// Warms <paramref name="key"/>'s spec once <paramref name="live"/> has run its first command (see
    /// <see cref="ControlPlaneOptions.WarmPoolRefillDelay"/>), so the next spare's start does not compete with it. The
    /// spare is registered before anyone waiting for that command hears of its end: a client that saw it end finds it.
    /// </summary>
    private void ReplenishAfterFirstUse(LiveSandbox live, SpareKey key, CreateSandboxRequest request, ISandboxBackend backend)
    {
        var done = 0;
        ITimer? timer = null;
        void Replenish()
        {
            if (Interlocked.Exchange(ref done, 1) != 0)
                return;
            timer?.Dispose();
            try
            {
                _spares.Replenish(key, request, backend);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "warm pool: starting a spare after sandbox {SandboxId} failed", live.Id);
            }
        }

        if (_options.WarmPoolRefillDelay <= TimeSpan.Zero)
        {
            Replenish();
            return;
        }
        timer = _time.CreateTimer(_ => Replenish(), null, _options.WarmPoolRefillDelay, Timeout.InfiniteTimeSpan);
        // Inline: runs where the first execution is forgotten or the sandbox leaves READY, before anyone is told.
        live.FirstUseEnded.Task.ContinueWith(_ => Replenish(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<Sandbox> StopAsync(LiveSandbox live, IReadOnlyList<ExecutionRun> runs)
    {
        live.ProvisioningCancel.Cancel();
        await live.Provisioning.ConfigureAwait(false);
        // A suspend or wake under way ends first; then the sandbox is either running (Handle) or suspended.
        Task? transitioning;
        lock (live.Gate)
            transitioning = live.Transitioning;
        if (transitioning is not null)
            await transitioning.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var run in runs)
            run.RequestStop(ExecutionStatus.Canceled, "the sandbox was terminated", killNow: true);

        string? problem = null;
        if (live.Handle is { } handle)
        {
            try
            {
                await handle.TerminateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "backend failed to terminate sandbox {SandboxId}", live.Id);
                problem = ex.Message;
            }
        }
        else if (live.Suspended is { } suspended)
        {
            try
            {
                // Its checkpoint goes with everything else.
                await suspended.TerminateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "backend failed to remove suspended sandbox {SandboxId}", live.Id);
                problem = ex.Message;
            }
        }
        await WhenAllQuietly(runs.Select(r => (Task)r.Finished)).ConfigureAwait(false);
        lock (live.Gate)
        {
            return problem is null
                ? Transition(live, SandboxStatus.Stopped, message: "the sandbox was terminated and its resources removed")
                : Transition(live, SandboxStatus.Failed, ErrorCode.RuntimeLaunchFailed, $"terminating the sandbox failed; its resources may remain: {problem}");
        }
    }
}
