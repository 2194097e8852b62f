using System.Net;
using Cleanroom.Errors;

namespace Cleanroom.Api.Addressing;

/// <summary>
/// Where the API lives: a unix socket path, or an http:// or https:// host and port. The same strings are used by
/// <c>cleanroom serve --listen</c>, <c>--host</c> and <c>CLEANROOM_HOST</c>, so one parser serves both sides.
/// </summary>
public abstract record ApiAddress
{
    /// <summary>Parses <c>unix:///abs/path</c>, <c>unix:/abs/path</c>, <c>http://host:port</c> or <c>https://host:port</c>.</summary>
    /// <exception cref="CleanroomException">invalid_argument when the string is none of these.</exception>
    public static ApiAddress Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            // unix:///run/x.sock and unix:/run/x.sock both name /run/x.sock; a relative path would
            // depend on the working directory of whichever side reads it, so it is refused.
            var path = value["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            if (!path.StartsWith('/'))
                throw Invalid(value, "a unix address needs an absolute path, e.g. unix:///run/cleanroom/cleanroom.sock");
            return new UnixApiAddress(path);
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
                throw Invalid(value, $"an {uri.Scheme} address is {uri.Scheme}://HOST:PORT with no path, e.g. {uri.Scheme}://127.0.0.1:7777");
            return uri.Scheme == Uri.UriSchemeHttps ? new HttpsApiAddress(uri.IdnHost, uri.Port) : new HttpApiAddress(uri.IdnHost, uri.Port);
        }

        throw Invalid(value, "expected unix:///path/to/socket, http://127.0.0.1:PORT or https://HOST:PORT");
    }

    private static CleanroomException Invalid(string value, string why) =>
        new(ErrorCode.InvalidArgument, $"invalid API address '{value}': {why}");
}

/// <summary>A unix domain socket at an absolute path.</summary>
public sealed record UnixApiAddress(string Path) : ApiAddress
{
    /// <summary><c>unix:///path</c>, the form <see cref="ApiAddress.Parse"/> reads.</summary>
    public override string ToString() => "unix://" + Path;
}

/// <summary>A TCP host and port, plain (<see cref="HttpApiAddress"/>) or TLS (<see cref="HttpsApiAddress"/>).</summary>
public abstract record TcpApiAddress(string Host, int Port) : ApiAddress
{
    /// <summary>True when <see cref="Host"/> is a loopback IP literal or <c>localhost</c>.</summary>
    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>The URI scheme, <c>http</c> or <c>https</c>.</summary>
    public abstract string Scheme { get; }

    /// <summary><c>scheme://host:port</c>, the form <see cref="ApiAddress.Parse"/> reads.</summary>
    public sealed override string ToString() =>
        Host.Contains(':') && !Host.StartsWith('[') ? $"{Scheme}://[{Host}]:{Port}" : $"{Scheme}://{Host}:{Port}";
}

/// <summary>Plain HTTP on a host and port (cleartext: the server only accepts loopback hosts).</summary>
public sealed record HttpApiAddress(string Host, int Port) : TcpApiAddress(Host, Port)
{
    /// <inheritdoc/>
    public override string Scheme => "http";
}

/// <summary>
/// HTTPS on a host and port: TLS with the server's certificate (and, when it asks, the client's). A non-loopback
/// one is served only when the server requires authentication.
/// </summary>
public sealed record HttpsApiAddress(string Host, int Port) : TcpApiAddress(Host, Port)
{
    /// <inheritdoc/>
    public override string Scheme => "https";
}
