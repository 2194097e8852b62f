using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>gateway:</c> section: the host gateway each sandbox reaches at the host end of its own link
/// (<c>listen_port</c>), an extra CA it trusts for upstreams (<c>upstream_ca_file</c>, tests), the credentials it
/// adds on the upstream leg (<c>credentials.hosts</c>, <c>credentials.github_app</c>) and the bounds of its repository
/// mirrors (<c>mirrors</c>). Credentials live here, on the host, never in a policy.
/// </summary>
public sealed record GatewaySettings(int ListenPort, string? UpstreamCaFile, ImmutableSortedDictionary<string, GatewayCredentialSource> CredentialHosts)
{
    public const int DefaultPort = 8170;

    public static GatewaySettings Defaults { get; } =
        new(DefaultPort, null, ImmutableSortedDictionary<string, GatewayCredentialSource>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary><c>credentials.github_app</c>: installation tokens minted on the host for matching repositories; null when not configured.</summary>
    public GitHubAppSettings? GitHubApp { get; init; }

    /// <summary><c>mirrors</c>: how much the host-side repository mirrors may hold and how long an unused one is kept.</summary>
    public MirrorSettings Mirrors { get; init; } = MirrorSettings.Defaults;
}

/// <summary>
/// Where one host's credential comes from: a token (exactly one of <see cref="TokenEnv"/> and <see cref="TokenFile"/>,
/// sent with <see cref="Username"/> in HTTP Basic; git hosts take the token as the password), or a git credential
/// <see cref="Helper"/> run on the host. Only the source is configured here: the value is read when it is needed and is
/// never part of the configuration object.
/// </summary>
public sealed record GatewayCredentialSource(string Host, string? TokenEnv, string? TokenFile, string? Username)
{
    /// <summary>What git hosts accept as the user of a token (GitHub documents it; others ignore the name).</summary>
    public const string DefaultUsername = "x-access-token";

    /// <summary>A git credential helper (as in git's <c>credential.helper</c>) asked with <c>git credential fill</c>; null for a token.</summary>
    public string? Helper { get; init; }

    /// <summary>
    /// Where the credential comes from, for messages and <c>doctor</c>: never the value. A helper is named by its first
    /// word only (a <c>!</c> shell helper as such), since its command line may itself hold a secret.
    /// </summary>
    public string Describe() => Helper is { } helper
        ? helper.StartsWith('!') ? "a shell credential helper" : $"credential helper {helper.Split(' ', 2)[0]}"
        : TokenEnv is not null ? $"environment variable {TokenEnv}" : $"file {TokenFile}";
}

/// <summary>
/// A GitHub App whose installation tokens the gateway mints on the host (RS256 JWT signed with the App's private key,
/// exchanged at <see cref="ApiUrl"/>) and uses for git requests to <see cref="Host"/> repositories whose path
/// (<c>org/repo</c>) starts with one of <see cref="RepoPrefixes"/>.
/// </summary>
public sealed record GitHubAppSettings(string AppId, string InstallationId, string PrivateKeyFile, ImmutableArray<string> RepoPrefixes, Uri ApiUrl, string Host)
{
    public static readonly Uri DefaultApiUrl = new("https://api.github.com");
    public const string DefaultHost = "github.com";

    /// <summary>
    /// Whether the App covers <paramref name="repositoryPath"/> (<c>/org/repo[.git]</c>) on <paramref name="host"/>: a
    /// prefix ending in <c>/</c> covers everything below it; any other prefix covers that repository (with or without
    /// <c>.git</c>) and everything below it, never a longer name (<c>org/a</c> does not cover <c>org/ab</c>).
    /// GitHub's names are case-insensitive, so the comparison is too.
    /// </summary>
    public bool Covers(string host, string repositoryPath)
    {
        if (!string.Equals(host, Host, StringComparison.Ordinal))
            return false;
        var path = repositoryPath.TrimStart('/');
        foreach (var prefix in RepoPrefixes)
        {
            if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                continue;
            var rest = path[prefix.Length..];
            if (prefix.EndsWith('/') || rest.Length == 0 || rest[0] == '/' || rest.Equals(".git", StringComparison.OrdinalIgnoreCase) || rest.StartsWith(".git/", StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }
}

/// <summary>
/// Bounds of the gateway's repository mirrors: beyond <see cref="MaxBytes"/> in all, the least recently used mirrors
/// are removed; one unused for <see cref="ExpireAfterDays"/> days is removed whatever the total.
/// </summary>
public sealed record MirrorSettings(long MaxBytes, int ExpireAfterDays)
{
    public static MirrorSettings Defaults { get; } = new(20L * 1024 * 1024 * 1024, 30);
}
