using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

// Create-or-get by a caller's key (CreateSandboxRequest.EnsureKey).
public sealed partial class SandboxControl
{
    private static readonly SandboxStatus[] EnsurableStatuses = [SandboxStatus.Provisioning, SandboxStatus.Ready];

    /// <summary>
    /// The PROVISIONING or READY sandbox <paramref name="owner"/> recorded with <paramref name="ensureKey"/>; the caller
    /// holds <see cref="_ensureGate"/>. Keys are per owner: two principals using the same key get a sandbox each.
    /// </summary>
    private Sandbox? FindEnsured(string ensureKey, string? owner) =>
        _store.ListSandboxes(EnsurableStatuses).FirstOrDefault(s =>
            s.Owner == owner && s.Labels.TryGetValue(CreateSandboxRequest.EnsureKeyLabel, out var value) && value == ensureKey);

    /// <summary>
    /// Answers an ensure with the sandbox its key already names, once that one has left PROVISIONING when the caller
    /// waits for READY. A sandbox of another policy, allow-all flag or backend is not what the caller asked for: it is
    /// refused with ensure_key_conflict rather than silently handed over.
    /// </summary>
    private async Task<Sandbox> ReuseEnsuredAsync(Sandbox existing, CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        string? difference = null;
        if (existing.Policy.Hash != request.Policy.Hash)
            difference = $"its policy hash is {existing.Policy.Hash}, the request's {request.Policy.Hash}";
        else if (existing.AllowAll != request.DangerouslyAllowAll)
            difference = existing.AllowAll ? "it allows all egress and the request does not" : "the request allows all egress and it does not";
        else if (request.Backend is not null && existing.Backend is not null && existing.Backend != request.Backend)
            difference = $"it runs on backend '{existing.Backend}', the request asks for '{request.Backend}'";
        if (difference is not null)
        {
            var conflict = new CleanroomException(ErrorCode.EnsureKeyConflict,
                $"ensure key '{request.EnsureKey}' names sandbox {existing.Id}, but {difference}; terminate it or use another key");
            conflict.Data["sandbox_id"] = existing.Id;
            throw conflict;
        }

        if (!request.WaitUntilReady)
            return existing;
        if (_live.TryGetValue(existing.Id, out var live))
            await live.LeftProvisioning.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await WaitUntilReadyAsync(existing.Id, cancellationToken).ConfigureAwait(false);
    }
}
