using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Client;

/// <summary>
/// Where and how a <see cref="CleanroomClient"/> connects: the address, and for a server that authenticates its
/// callers, a bearer token and the TLS files of an <c>https://</c> address.
/// </summary>
public sealed record CleanroomClientOptions
{
    /// <summary>The environment variable a client reads its bearer token from when no token file is given.</summary>
    public const string TokenEnvironmentVariable = "CLEANROOM_TOKEN";

    /// <summary>The server's API address: <c>unix:///path/to/socket</c>, <c>http://127.0.0.1:PORT</c> or <c>https://HOST:PORT</c>.</summary>
    public required ApiAddress Address { get; init; }

    /// <summary>
    /// Sent as <c>Authorization: Bearer</c> on every call: an OIDC token or one of the server's static tokens. Never
    /// sent over plain HTTP to a non-loopback host (the client refuses to connect).
    /// </summary>
    public string? Token { get; init; }

    /// <summary>PEM file of the CA certificates that may sign the server's certificate (https only); default: the system's.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM file of this client's certificate, for a server that verifies clients (mTLS; https only).</summary>
    public string? TlsCertificateFile { get; init; }

    /// <summary>PEM file of the private key of <see cref="TlsCertificateFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>
    /// A W3C trace context (<c>00-TRACEID-SPANID-FLAGS</c>) sent as <c>traceparent</c> on every call, so the server's
    /// spans for all of this client's calls join that trace. <see cref="ForClient"/> takes it from <c>TRACEPARENT</c>
    /// (the variable CI systems and otel-cli set) when that holds a valid one. See <see cref="TraceContext"/>.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>The CLI's rules: <c>CLEANROOM_HOST</c> when set, else the default socket for this user; <c>CLEANROOM_TOKEN</c>.</summary>
    public static CleanroomClientOptions FromEnvironment() => ForClient(null);

    /// <summary>
    /// The CLI's rules with its flags: the address from <paramref name="hostFlag"/>, else <c>CLEANROOM_HOST</c>, else the
    /// default socket; the token from <paramref name="tokenFile"/>, else <c>CLEANROOM_TOKEN</c>.
    /// </summary>
    /// <exception cref="CleanroomException">invalid_argument for an unreadable or empty token file.</exception>
    public static CleanroomClientOptions ForClient(string? hostFlag, Func<string, string?>? getEnvironment = null,
        string? tokenFile = null, string? tlsCaFile = null, string? tlsCertificateFile = null, string? tlsKeyFile = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        return new CleanroomClientOptions
        {
            Address = DefaultApiAddress.ForClient(hostFlag, getEnvironment),
            Token = tokenFile is not null ? ReadTokenFile(tokenFile) : NonEmpty(getEnvironment(TokenEnvironmentVariable)),
            TlsCaFile = tlsCaFile,
            TlsCertificateFile = tlsCertificateFile,
            TlsKeyFile = tlsKeyFile,
            TraceParent = TraceContext.IsValid(getEnvironment(TraceContext.EnvironmentVariable)) ? getEnvironment(TraceContext.EnvironmentVariable) : null,
        };
    }

    private static string ReadTokenFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"cannot read the token file {path}: {e.Message}");
        }
        // The token itself never goes into a message.
        return NonEmpty(text) ?? throw new CleanroomException(ErrorCode.InvalidArgument, $"the token file {path} is empty");
    }

    private static string? NonEmpty(string? token) => string.IsNullOrWhiteSpace(token) ? null : token.Trim();
}
