using System.Net.Http.Headers;
using System.Text;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The per-host credentials of the runtime config (<c>gateway.credentials.hosts</c>), read from their environment
/// variable or file each time one is needed, so a rotated file takes effect without a restart. A value is only ever
/// turned into the upstream request's Authorization header: it is not kept, logged, or put in any message (messages
/// name the source, never the value).
/// </summary>
public sealed class GatewayCredentials(IReadOnlyDictionary<string, GatewayCredentialSource> hosts, Func<string, string?> environment)
{
    public GatewayCredentials(IReadOnlyDictionary<string, GatewayCredentialSource> hosts)
        : this(hosts, Environment.GetEnvironmentVariable)
    {
    }

    public IReadOnlyDictionary<string, GatewayCredentialSource> Hosts => hosts;

    /// <summary>
    /// The Authorization header for <paramref name="host"/>: null when no credential is configured for it;
    /// <see cref="CredentialUnavailableException"/> when one is configured but cannot be read (fail closed: the
    /// request is not sent anonymously instead).
    /// </summary>
    internal AuthenticationHeaderValue? AuthorizationFor(string host)
    {
        if (!hosts.TryGetValue(host, out var source))
            return null;
        var token = Read(source, out var problem);
        if (token is null)
            throw new CredentialUnavailableException($"the credential for {host} ({source.Describe()}) cannot be read: {problem}");
        var pair = $"{source.Username ?? GatewayCredentialSource.DefaultUsername}:{token}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    /// <summary>For <c>doctor</c>: each configured host and, when its credential cannot be read now, why (never the value).</summary>
    public IEnumerable<(string Host, string Source, string? Problem)> Check() =>
        hosts.Values.Select(s =>
        {
            Read(s, out var problem);
            return (s.Host, s.Describe(), problem);
        });

    private string? Read(GatewayCredentialSource source, out string? problem) =>
        HostSecretReader.Read(source.TokenEnv, source.TokenFile, environment, out problem);
}

/// <summary>A configured credential that cannot be read now; the message names its source, never a value.</summary>
public sealed class CredentialUnavailableException(string message) : Exception(message);
