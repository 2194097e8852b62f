using System.Diagnostics;
using Cleanroom.Backends;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane.WarmPool;

/// <summary>
/// The warm pool: keeps <c>size</c> spare sandboxes provisioned for the spec of the most recent sandbox that
/// became READY, so the next request for the same spec skips the backend's start-up (the network, runsc or a
/// VM boot, the agent's handshake). Only the latest spec is kept warm: a request for another spec discards the
/// old spares when its own sandbox is READY and warms the new one. Spares have no record: a server that dies
/// leaves them to the next start's reconciliation, which removes everything no record owns; a server that
/// stops terminates them. See README.md ("Warm pool").
/// </summary>
internal sealed class SparePool(int size, ILogger logger) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<SpareSandbox> _spares = [];
    private readonly List<Task> _discards = [];
    private bool _disposed;

    /// <summary>The images spares run (or are starting with), each once: in use, like a live sandbox's.</summary>
    public IReadOnlyList<string> ImageRefs()
    {
        lock (_gate)
            return _spares.Select(s => s.Key.ImageRef).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The ids of the spares (ready or starting): live sandboxes no record lists.</summary>
    public IReadOnlyList<string> SandboxIds()
    {
        lock (_gate)
            return _spares.Select(s => s.Id).ToArray();
    }

    /// <summary>
    /// Takes a spare made for <paramref name="key"/>, ready or still provisioning (it is further along than a
    /// cold start either way), or returns null. Spares whose provisioning failed are dropped on the way.
    /// </summary>
    public SpareSandbox? Take(SpareKey key)
    {
        lock (_gate)
        {
            _spares.RemoveAll(s => s.Ready.IsFaulted || s.Ready.IsCanceled);
            var index = _spares.FindIndex(s => s.Key == key);
            if (index < 0)
                return null;
            var spare = _spares[index];
            _spares.RemoveAt(index);
            return spare;
        }
    }

    /// <summary>
    /// The claimed spare's handle once it is ready. If the spare's provisioning failed (a busy host, a backend that
    /// broke since), the sandbox is provisioned cold under the same id instead: the failed attempt removed what it
    /// had made. If the claimer gives up first (its sandbox was terminated while the spare was still starting),
    /// the spare is terminated as soon as it is up.
    /// </summary>
    public async Task<IProvisionedSandbox> ClaimAsync(SpareSandbox spare, SandboxSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            return await spare.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Discard(spare);
            throw;
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            logger.LogInformation("warm pool: spare {SandboxId} failed ({Reason}); provisioning it cold", spare.Id, e.Message);
            return await spare.Backend.ProvisionAsync(spec, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Called when a sandbox made from <paramref name="request"/> (by <paramref name="backend"/>) became READY:
    /// makes its spec the one kept warm and starts spares until there are <c>size</c> of them.
    /// </summary>
    public void Replenish(SpareKey key, CreateSandboxRequest request, ISandboxBackend backend)
    {
        if (size <= 0)
            return;
        lock (_gate)
        {
            if (_disposed)
                return;
            foreach (var stale in _spares.Where(s => s.Key != key).ToArray())
            {
                _spares.Remove(stale);
                DiscardLocked(stale);
            }
            while (_spares.Count < size)
            {
                var id = Ids.NewSandboxId();
                _spares.Add(new SpareSandbox(id, key, backend, ProvisionAsync(SandboxSpecs.For(id, request), backend)));
            }
        }
    }

    /// <summary>Terminates every spare (waiting for those still provisioning) and stops making new ones.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var spare in _spares)
                DiscardLocked(spare);
            _spares.Clear();
            pending = _discards.ToArray();
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, ISandboxBackend backend)
    {
        // Off the caller's thread: Replenish runs under the pool's lock and inside a sandbox's provisioning.
        await Task.Yield();
        var started = Stopwatch.GetTimestamp();
        try
        {
            CapabilityCheck.EnsureSatisfied(backend.Name, backend.Capabilities, spec);
            var handle = await backend.ProvisionAsync(spec, _stopping.Token).ConfigureAwait(false);
            logger.LogInformation("warm pool: spare {SandboxId} ({Backend}, {Image}) ready in {Milliseconds:F0} ms",
                spec.SandboxId, backend.Name, spec.ImageRef, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return handle;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "warm pool: provisioning spare {SandboxId} failed; the next sandbox of its spec starts cold", spec.SandboxId);
            throw;
        }
    }

    /// <summary>Terminates a taken spare nobody will claim after all, once its provisioning has ended.</summary>
    public void Discard(SpareSandbox spare)
    {
        lock (_gate)
            DiscardLocked(spare);
    }

    private void DiscardLocked(SpareSandbox spare)
    {
        _discards.RemoveAll(t => t.IsCompleted);
        _discards.Add(TerminateWhenReadyAsync(spare));
    }

    private async Task TerminateWhenReadyAsync(SpareSandbox spare)
    {
        await Task.Yield(); // never under the caller's lock
        IProvisionedSandbox handle;
        try
        {
            handle = await spare.Ready.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return; // a failed or canceled provisioning removed what it had made
        }
        try
        {
            await handle.TerminateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "warm pool: terminating spare {SandboxId} failed; the next server start removes what is left", spare.Id);
        }
    }
}
