using System.Net;
using Cleanroom.Errors;

namespace Cleanroom.Api.Addressing;

/// <summary>
/// Where the API lives: a unix socket path or an http:// host and port. The same strings are used by
/// <c>cleanroom serve --listen</c>, <c>--host</c> and <c>CLEANROOM_HOST</c>, so one parser serves both sides.
/// </summary>
public abstract record ApiAddress
{
    /// <summary>Parses <c>unix:///abs/path</c>, <c>unix:/abs/path</c>, or <c>http://host:port</c>.</summary>
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

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp)
        {
            if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
                throw Invalid(value, "an http address is http://HOST:PORT with no path, e.g. http://127.0.0.1:7777");
            return new HttpApiAddress(uri.IdnHost, uri.Port);
        }

        throw Invalid(value, "expected unix:///path/to/socket or http://127.0.0.1:PORT");
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

/// <summary>Plain HTTP on a host and port (cleartext: the server only accepts loopback hosts).</summary>
public sealed record HttpApiAddress(string Host, int Port) : ApiAddress
{
    /// <summary>True when <see cref="Host"/> is a loopback IP literal or <c>localhost</c>.</summary>
    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary><c>http://host:port</c>, the form <see cref="ApiAddress.Parse"/> reads.</summary>
    public override string ToString() =>
        Host.Contains(':') && !Host.StartsWith('[') ? $"http://[{Host}]:{Port}" : $"http://{Host}:{Port}";
}
