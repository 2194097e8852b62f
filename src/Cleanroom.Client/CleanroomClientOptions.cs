using Cleanroom.Api.Addressing;

namespace Cleanroom.Client;

/// <summary>
/// Where and how a <see cref="CleanroomClient"/> connects.
/// </summary>
/// <remarks>
/// The server has no authentication beyond the socket's file permissions (0600) and loopback-only TCP yet, so there is
/// no TLS or token setting: one that did nothing would be a lie. When the server gains them, they are added here, and
/// <see cref="CleanroomClient.FromEnvironment"/> reads them with the same rules as the CLI.
/// </remarks>
public sealed record CleanroomClientOptions
{
    /// <summary>The server's API address: <c>unix:///path/to/socket</c> or <c>http://127.0.0.1:PORT</c>.</summary>
    public required ApiAddress Address { get; init; }

    /// <summary>The CLI's rules: <c>CLEANROOM_HOST</c> when set, else the default socket for this user.</summary>
    public static CleanroomClientOptions FromEnvironment() => new() { Address = DefaultApiAddress.ForClient(null) };
}
