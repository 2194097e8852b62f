namespace Cleanroom.Api.Addressing;

/// <summary>
/// The one place that decides where the server listens and the client connects when nobody says otherwise,
/// and how the client picks among <c>--host</c>, <c>CLEANROOM_HOST</c> and that default.
/// </summary>
public static class DefaultApiAddress
{
    /// <summary>The environment variable a client reads when no <c>--host</c> is given.</summary>
    public const string HostEnvironmentVariable = "CLEANROOM_HOST";

    /// <summary>
    /// <c>$XDG_RUNTIME_DIR/cleanroom/cleanroom.sock</c>; without XDG_RUNTIME_DIR, <c>/run/cleanroom/cleanroom.sock</c>
    /// for root and <c>/tmp/cleanroom-$UID/cleanroom.sock</c> for anyone else (a per-user directory the server
    /// creates 0700, so another user cannot pre-create the socket).
    /// </summary>
    public static UnixApiAddress SocketFor(Func<string, string?> getEnvironment, uint uid)
    {
        var runtimeDir = getEnvironment("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtimeDir) && runtimeDir.StartsWith('/'))
            return new UnixApiAddress(Path.Combine(runtimeDir, "cleanroom", "cleanroom.sock"));
        return uid == 0
            ? new UnixApiAddress("/run/cleanroom/cleanroom.sock")
            : new UnixApiAddress($"/tmp/cleanroom-{uid}/cleanroom.sock");
    }

    /// <summary>The default socket for this process's environment and user.</summary>
    public static UnixApiAddress Socket(Func<string, string?>? getEnvironment = null) =>
        SocketFor(getEnvironment ?? Environment.GetEnvironmentVariable, Interop.EffectiveUser.Id);

    /// <summary>What a client connects to: explicit <paramref name="hostFlag"/>, else CLEANROOM_HOST, else the default socket.</summary>
    public static ApiAddress ForClient(string? hostFlag, Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(hostFlag)) return ApiAddress.Parse(hostFlag);
        var fromEnv = getEnvironment(HostEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return ApiAddress.Parse(fromEnv);
        return SocketFor(getEnvironment, Interop.EffectiveUser.Id);
    }
}
