namespace Cleanroom.Bench;

/// <summary>
/// One private server whose gVisor backend runs on one platform (bench/run.sh names it in that server's runtime
/// config, where a named platform either runs or makes the backend unusable: never a silent fallback).
/// Given as <c>--server PLATFORM=SOCKET</c>.
/// </summary>
internal sealed record GvisorServer(string Platform, string Socket)
{
    public string Host => "unix://" + Socket;

    public static GvisorServer Parse(string text) => text.Split('=', 2) is [{ Length: > 0 } platform, { Length: > 0 } socket]
        ? new GvisorServer(platform, socket)
        : throw new ArgumentException($"--server takes PLATFORM=SOCKET, not '{text}'");

    /// <summary>Makes the <c>cleanroom</c> commands started from now on talk to this server.</summary>
    public void Select() => Environment.SetEnvironmentVariable("CLEANROOM_HOST", Host);
}
