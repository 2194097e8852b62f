using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent;

/// <summary>
/// What the agent must do because it may be PID 1 of the sandbox: there is no init to reap orphans
/// (the <see cref="Execution.ChildReaper"/> does), and in a bare VM nothing has mounted /proc yet.
/// </summary>
internal static class InitProcess
{
    public static bool IsInit => Environment.ProcessId == 1;

    public static void Prepare()
    {
        Processes.EnsureChildSignalDefault();
        if (!IsInit || Directory.Exists("/proc/self"))
            return; // gVisor and container runtimes provide /proc
        try
        {
            Directory.CreateDirectory("/proc");
            ExecSyscalls.MountProc();
            AgentLog.Info("mounted /proc");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The agent's self-exec needs /proc/self; this error explains every failure that follows.
            AgentLog.Error($"/proc is missing and could not be mounted: {e.Message}");
        }
    }
}
