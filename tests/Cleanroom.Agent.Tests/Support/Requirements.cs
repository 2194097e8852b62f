namespace Cleanroom.Agent.Tests.Support;

/// <summary>
/// Facts that need something of the host. xunit 2 decides skips at discovery, so each checks its
/// requirement in its constructor and sets Skip with the reason, which the runner prints.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
            Skip = "needs root (to switch users)";
    }
}

public sealed class PtyFactAttribute : FactAttribute
{
    public PtyFactAttribute()
    {
        if (!File.Exists("/dev/ptmx") || !Directory.Exists("/dev/pts"))
            Skip = "no /dev/ptmx or /dev/pts on this host";
    }
}

public sealed class PidNamespaceFactAttribute : FactAttribute
{
    public PidNamespaceFactAttribute()
    {
        if (AgentPaths.FindOnPath("unshare") is null)
            Skip = "unshare (util-linux) is not installed";
        else if (Environment.UserName != "root")
            Skip = "needs root to create a PID namespace";
    }
}

public sealed class NativeAotFactAttribute : FactAttribute
{
    public NativeAotFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CLEANROOM_SKIP_AOT_TESTS") == "1")
            Skip = "CLEANROOM_SKIP_AOT_TESTS=1";
        else if (AgentPaths.FindOnPath("gcc") is null && AgentPaths.FindOnPath("clang") is null)
            Skip = "no C toolchain (gcc or clang) to link a NativeAOT publish";
        else if (!File.Exists(NativeAgent.HostLoader))
            Skip = $"no dynamic loader at {NativeAgent.HostLoader}";
    }
}
