using System.Net.Http.Headers;
using System.Text;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The credentials of the runtime config (<c>gateway.credentials</c>) for the gateway's upstream requests. Precedence
/// for one git request to HOST/PATH: the GitHub App when it covers the repository (its host and a repo prefix match;
/// a failed mint fails the request, it never falls back), else the host's own entry (a token read from its environment
/// variable or file each time one is needed, so a rotated file takes effect without a restart, or its git credential
/// helper), else none. A value is only ever turned into the upstream request's Authorization header: it is not kept
/// (beyond the App's token cache), logged, or put in any message (messages name the source, never the value).
/// </summary>
public sealed class GatewayCredentials(
    IReadOnlyDictionary<string, GatewayCredentialSource> hosts, Func<string, string?> environment, GitHubAppTokens? app = null, GitCredentialHelper? helper = null)
{
    public GatewayCredentials(IReadOnlyDictionary<string, GatewayCredentialSource> hosts)
        : this(hosts, Environment.GetEnvironmentVariable)
    {
    }

    public IReadOnlyDictionary<string, GatewayCredentialSource> Hosts => hosts;

    /// <summary>
    /// The Authorization header for a git request to <paramref name="repositoryPath"/> on <paramref name="host"/>: null
    /// when no credential is configured for it; <see cref="CredentialUnavailableException"/> (with its code) when one
    /// is configured but cannot be had now (fail closed: the request is not sent anonymously instead).
    /// </summary>
    internal async Task<AuthenticationHeaderValue?> AuthorizationForAsync(string host, string repositoryPath, CancellationToken cancellationToken)
    {
        if (app is not null && app.Settings.Covers(host, repositoryPath))
            return Basic(GatewayCredentialSource.DefaultUsername, await app.TokenAsync(cancellationToken));
        if (!hosts.TryGetValue(host, out var source))
            return null;
        if (source.Helper is { } command)
        {
            if (helper is null)
                throw new CredentialUnavailableException(ErrorCode.CredentialHelperFailed, $"the credential helper for {host} cannot be run here");
            var (username, password) = await helper.FillAsync(host, command, repositoryPath, cancellationToken);
            return Basic(username, password);
        }

        var token = Read(source, out var problem)
            ?? throw new CredentialUnavailableException(ErrorCode.GatewayCredentialUnavailable, $"the credential for {host} ({source.Describe()}) cannot be read: {problem}");
        return Basic(source.Username ?? GatewayCredentialSource.DefaultUsername, token);
    }

    private static AuthenticationHeaderValue Basic(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    /// <summary>
    /// For <c>doctor</c>: each configured token host and, when its credential cannot be read now, why (never the value).
    /// Helper hosts are listed without a problem: asking a helper may prompt or have effects, so doctor does not.
    /// </summary>
    public IEnumerable<(string Host, string Source, string? Problem)> Check() =>
        hosts.Values.Select(s =>
        {
            string? problem = null;
            if (s.Helper is null)
                Read(s, out problem);
            return (s.Host, s.Describe(), problem);
        });

    private string? Read(GatewayCredentialSource source, out string? problem) =>
        HostSecretReader.Read(source.TokenEnv, source.TokenFile, environment, out problem);
}

/// <summary>A configured credential that cannot be had now, with its stable code; the message names its source, never a value.</summary>
public sealed class CredentialUnavailableException(string code, string message) : Exception(message)
{
    public string Code => code;
}
