using Cleanroom.Api.V1;
using Cleanroom.Errors;

namespace Cleanroom.Client;

public sealed partial class CleanroomClient
{
    /// <summary>The label the server stores an ensure key in (see <see cref="EnsureSandboxAsync"/>).</summary>
    public const string EnsureKeyLabel = "cleanroom.dev/ensure-key";

    /// <summary>Creates a sandbox and returns it once it is READY (or throws why it could not be).</summary>
    public async Task<Sandbox> CreateSandboxAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        var response = await Sandboxes.CreateSandboxAsync(CreateRequest(options, ensureKey: null), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new Sandbox(this, response.Sandbox);
    }

    /// <summary>
    /// Returns the READY sandbox created earlier with <paramref name="key"/> (an agent's thread id, a CI job id), or
    /// creates one. The key is kept on the server (the label <see cref="EnsureKeyLabel"/>), which makes look-up and
    /// create one step: any number of processes ensuring one key at once get one sandbox. A STOPPED or FAILED sandbox
    /// never answers: the key then makes a new one.
    /// </summary>
    /// <exception cref="CleanroomException">
    /// <c>ensure_key_conflict</c> when the key's sandbox has another policy, allow-all flag or backend; any code
    /// CreateSandbox has (<c>policy_invalid</c>, <c>backend_unavailable</c>, ...).
    /// </exception>
    public async Task<Sandbox> EnsureSandboxAsync(string key, SandboxOptions options, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(key))
            throw new CleanroomException(ErrorCode.InvalidArgument, "the ensure key must not be empty");
        var response = await Sandboxes.CreateSandboxAsync(CreateRequest(options, key), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new Sandbox(this, response.Sandbox);
    }

    /// <summary>Reads a sandbox by id; <c>not_found</c> when the server has no such sandbox.</summary>
    public async Task<Sandbox> GetSandboxAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        var response = await Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = sandboxId }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new Sandbox(this, response.Sandbox);
    }

    /// <summary>The server's sandboxes (all statuses, oldest first), only those carrying every one of <paramref name="labels"/> when given.</summary>
    public async Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(IReadOnlyDictionary<string, string>? labels = null,
        CancellationToken cancellationToken = default)
    {
        var request = new ListSandboxesRequest();
        if (labels is not null)
            foreach (var (name, value) in labels)
                request.Labels[name] = value;
        var response = await Sandboxes.ListSandboxesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Sandboxes.Select(s => new Sandbox(this, s)).ToList();
    }

    private static CreateSandboxRequest CreateRequest(SandboxOptions options, string? ensureKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Policy);
        var request = new CreateSandboxRequest
        {
            PolicyJson = options.Policy.CanonicalJson,
            PolicyHash = options.Policy.Hash,
            Backend = options.Backend ?? "",
            DangerouslyAllowAll = options.DangerouslyAllowAll,
            EnsureKey = ensureKey ?? "",
        };
        foreach (var (name, value) in options.Labels)
            request.Labels[name] = value;
        return request;
    }
}
