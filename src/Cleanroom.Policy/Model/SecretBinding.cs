using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// One <c>secrets:</c> binding: the secret <see cref="Id"/> (its value lives in the server's runtime config, never
/// here), the <see cref="Hosts"/> (<c>host:port</c>, sorted, distinct) the host gateway may send it to, and how it is
/// sent: the value, put into <see cref="Format"/> at <c>{value}</c>, becomes the request header <see cref="Header"/>.
/// </summary>
public sealed record SecretBinding(string Id, ImmutableArray<string> Hosts, string Header, string Format)
{
    public const string DefaultHeader = "Authorization";
    public const string DefaultFormat = "Bearer {value}";
    public const string ValueMarker = "{value}";

    /// <summary>The guest's environment variable holding this binding's placeholder: <c>CLEANROOM_SECRET_</c> and the id upper-cased.</summary>
    public string EnvironmentVariable => "CLEANROOM_SECRET_" + Id.ToUpperInvariant();

    /// <summary>True when <paramref name="host"/>:<paramref name="port"/> is one of <see cref="Hosts"/>.</summary>
    public bool Covers(string host, int port) => Hosts.Contains($"{host}:{port}", StringComparer.Ordinal);

    /// <summary>The header value for <paramref name="value"/>.</summary>
    public string Render(string value) => Format.Replace(ValueMarker, value, StringComparison.Ordinal);
}
