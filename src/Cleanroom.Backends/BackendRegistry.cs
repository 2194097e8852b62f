using Cleanroom.Errors;

namespace Cleanroom.Backends;

/// <summary>
/// The backends this server can use, in order of preference (strongest isolation first), and the place
/// where "is this backend usable here?" is answered. Registration happens once, at startup.
/// </summary>
public sealed class BackendRegistry
{
    private readonly List<ISandboxBackend> _backends = [];
    // A usable probe result is kept: probes can boot a tiny sandbox, too slow for every request. A probe in flight is
    // shared, so start-up can probe every backend at once and whoever asks next waits for that probe. An unusable
    // result is dropped, so installing the missing tool works without a server restart.
    private readonly Dictionary<string, Task<BackendHealth>> _probes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Adds a backend; earlier registrations are preferred when no backend is named.</summary>
    public BackendRegistry Register(ISandboxBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (_gate)
        {
            if (_backends.Any(b => b.Name == backend.Name))
                throw new InvalidOperationException($"backend '{backend.Name}' is already registered");
            _backends.Add(backend);
        }
        return this;
    }

    public IReadOnlyList<ISandboxBackend> All
    {
        get { lock (_gate) return _backends.ToArray(); }
    }

    /// <summary>The backend with this name, or null; does not probe.</summary>
    public ISandboxBackend? Find(string name)
    {
        lock (_gate) return _backends.FirstOrDefault(b => b.Name == name);
    }

    /// <summary>
    /// The named backend if it is registered and its probe says usable; with no name, the first usable
    /// backend in preference order. Otherwise throws <c>backend_unavailable</c> with the reason.
    /// </summary>
    public async Task<ISandboxBackend> ResolveUsableAsync(string? name, CancellationToken cancellationToken)
    {
        if (name is not null)
        {
            var backend = Find(name) ?? throw new CleanroomException(
                ErrorCode.BackendUnavailable,
                $"backend '{name}' is not available on this server (known: {KnownNames()})");
            var health = await ProbeAsync(backend, cancellationToken).ConfigureAwait(false);
            if (!health.Usable)
                throw new CleanroomException(ErrorCode.BackendUnavailable, $"backend '{name}' is not usable on this host: {health.Reason}");
            return backend;
        }

        var reasons = new List<string>();
        foreach (var candidate in All)
        {
            var health = await ProbeAsync(candidate, cancellationToken).ConfigureAwait(false);
            if (health.Usable)
                return candidate;
            reasons.Add($"{candidate.Name}: {health.Reason}");
        }
        throw new CleanroomException(
            ErrorCode.BackendUnavailable,
            reasons.Count == 0 ? "no backend is registered on this server" : $"no backend is usable on this host ({string.Join("; ", reasons)})");
    }

    /// <summary>
    /// Probes a backend, reusing an earlier usable result or a probe in flight. A probe that throws counts as unusable.
    /// <paramref name="cancellationToken"/> ends this caller's wait, not a probe others may be waiting for.
    /// </summary>
    public Task<BackendHealth> ProbeAsync(ISandboxBackend backend, CancellationToken cancellationToken)
    {
        TaskCompletionSource<BackendHealth>? owned = null;
        Task<BackendHealth>? probe;
        lock (_gate)
        {
            if (!_probes.TryGetValue(backend.Name, out probe))
            {
                owned = new TaskCompletionSource<BackendHealth>(TaskCreationOptions.RunContinuationsAsynchronously);
                probe = owned.Task;
                _probes[backend.Name] = probe;
            }
        }
        if (owned is not null)
            _ = RunProbeAsync(backend, owned);
        return probe.WaitAsync(cancellationToken);
    }

    private async Task RunProbeAsync(ISandboxBackend backend, TaskCompletionSource<BackendHealth> result)
    {
        BackendHealth health;
        try
        {
            health = await backend.ProbeAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            health = BackendHealth.Unusable($"probe failed: {ex.Message}");
        }
        if (!health.Usable)
        {
            lock (_gate) _probes.Remove(backend.Name);
        }
        result.SetResult(health);
    }

    private string KnownNames()
    {
        var names = All.Select(b => b.Name).ToArray();
        return names.Length == 0 ? "none" : string.Join(", ", names);
    }
}
