using System.Collections.Immutable;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The runtime config's <c>secrets:</c> (id to source). A value is read only when a request needs it, and only ever
/// becomes the header a policy binding names on the upstream leg: it is not kept, logged, or put in any message
/// (messages name the id and its source, never the value).
/// </summary>
public sealed class HostSecrets(IReadOnlyDictionary<string, SecretSource> sources, Func<string, string?> environment)
{
    public HostSecrets(IReadOnlyDictionary<string, SecretSource> sources)
        : this(sources, Environment.GetEnvironmentVariable)
    {
    }

    public IReadOnlyDictionary<string, SecretSource> Sources => sources;

    /// <summary>
    /// Refuses a sandbox whose policy binds a secret this host does not hold, or cannot read now
    /// (<c>secret_unavailable</c>, naming the ids): fail closed, before the sandbox starts.
    /// </summary>
    public void RequireAvailable(ImmutableArray<SecretBinding> bindings)
    {
        var missing = new List<string>();
        foreach (var binding in bindings)
        {
            if (!sources.TryGetValue(binding.Id, out var source))
                missing.Add($"{binding.Id} (not in the server's runtime config secrets:)");
            else if (HostSecretReader.Read(source.Env, source.File, environment, out var problem) is null)
                missing.Add($"{binding.Id} ({source.Describe()}: {problem})");
        }

        if (missing.Count > 0)
        {
            throw new CleanroomException(ErrorCode.SecretUnavailable,
                $"the policy binds secrets this server cannot provide: {string.Join("; ", missing)}");
        }
    }

    /// <summary>The value of <paramref name="id"/>; <see cref="CredentialUnavailableException"/> when it cannot be read now.</summary>
    internal string Value(string id)
    {
        if (!sources.TryGetValue(id, out var source))
            throw new CredentialUnavailableException(ErrorCode.SecretUnavailable, $"secret {id} is not in the server's runtime config");
        return HostSecretReader.Read(source.Env, source.File, environment, out var problem)
            ?? throw new CredentialUnavailableException(ErrorCode.SecretUnavailable, $"secret {id} ({source.Describe()}) cannot be read: {problem}");
    }

    /// <summary>For <c>doctor</c>: each configured id, its source and, when it cannot be read now, why (never the value).</summary>
    public IEnumerable<(string Id, string Source, string? Problem)> Check() =>
        sources.Values.Select(s =>
        {
            HostSecretReader.Read(s.Env, s.File, environment, out var problem);
            return (s.Id, s.Describe(), problem);
        });
}
