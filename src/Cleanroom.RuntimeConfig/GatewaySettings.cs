using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>gateway:</c> section: the host gateway each sandbox reaches at the host end of its own link
/// (<c>listen_port</c>), an extra CA it trusts for upstreams (<c>upstream_ca_file</c>, tests), and the credentials it
/// adds on the upstream leg (<c>credentials.hosts</c>). Credentials live here, on the host, never in a policy.
/// </summary>
public sealed record GatewaySettings(int ListenPort, string? UpstreamCaFile, ImmutableSortedDictionary<string, GatewayCredentialSource> CredentialHosts)
{
    public const int DefaultPort = 8170;

    public static GatewaySettings Defaults { get; } =
        new(DefaultPort, null, ImmutableSortedDictionary<string, GatewayCredentialSource>.Empty.WithComparers(StringComparer.Ordinal));
}

/// <summary>
/// Where one host's token is read from (exactly one of <see cref="TokenEnv"/> and <see cref="TokenFile"/>), and the
/// user name sent with it in HTTP Basic (git hosts take the token as the password). Only the source is configured
/// here: the value is read when it is needed and is never part of the configuration object.
/// </summary>
public sealed record GatewayCredentialSource(string Host, string? TokenEnv, string? TokenFile, string? Username)
{
    /// <summary>What git hosts accept as the user of a token (GitHub documents it; others ignore the name).</summary>
    public const string DefaultUsername = "x-access-token";

    /// <summary>Where the token comes from, for messages and <c>doctor</c>: never the value.</summary>
    public string Describe() => TokenEnv is not null ? $"environment variable {TokenEnv}" : $"file {TokenFile}";
}
