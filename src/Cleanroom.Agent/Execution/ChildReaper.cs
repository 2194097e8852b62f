using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// Owns every child of the agent: starts them, signals them, and reaps them on one dedicated thread
/// that blocks in waitid(P_ALL) (no polling). As PID 1 it also reaps orphans the kernel re-parents to
/// the agent; their statuses belong to no execution and are dropped. One lock orders spawn,
/// registration, signalling and reaping, so an exit is never routed before its pid is registered
/// and a signal never reaches a pid that has been reaped (and could be reused).
/// </summary>
internal sealed class ChildReaper
{
    private readonly object _lock = new();
    private readonly Dictionary<int, Action<WaitStatus>> _owners = new();
    private readonly AutoResetEvent _childStarted = new(false);

    public ChildReaper()
    {
        new Thread(Run) { IsBackground = true, Name = "reaper" }.Start();
    }

    /// <summary>
    /// Runs <paramref name="spawn"/> and registers the pid it returns for <paramref name="onExit"/>; a result of
    /// 0 or less (nothing was started) registers nothing.
    /// </summary>
    public int Spawn(Func<int> spawn, Action<WaitStatus> onExit)
    {
        int pid;
        lock (_lock)
        {
            pid = spawn();
            if (pid <= 0)
                return pid;
            _owners[pid] = onExit;
        }
        _childStarted.Set();
        return pid;
    }

    /// <summary>
    /// Signals the process group led by <paramref name="pid"/> (every command gets a session of its own),
    /// or the process alone if the group is gone. False if the process has already exited.
    /// </summary>
    public bool SignalGroup(int pid, int signal)
    {
        lock (_lock)
        {
            if (!_owners.ContainsKey(pid))
                return false;
            return Processes.Kill(-pid, signal) || Processes.Kill(pid, signal);
        }
    }

    /// <summary>Signals every process the agent can reach. Only as PID 1, where that means the sandbox's processes.</summary>
    public static void SignalEverything(int signal) => Processes.Kill(-1, signal);

    private void Run()
    {
        while (true)
        {
            try
            {
                if (!Processes.WaitAnyExited(out var pid, out var status))
                {
                    // No children at all. Orphans only ever come from our own children, so nothing can
                    // appear until the next spawn; sleep until then.
                    _childStarted.WaitOne();
                    continue;
                }
                Action<WaitStatus>? owner;
                lock (_lock)
                {
                    _owners.Remove(pid, out owner);
                    Processes.Reap(pid);
                }
                owner?.Invoke(status);
            }
            catch (Exception e)
            {
                AgentLog.Error($"reaper: {e.Message}");
            }
        }
    }
}
