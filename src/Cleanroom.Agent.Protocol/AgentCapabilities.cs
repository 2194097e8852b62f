namespace Cleanroom.Agent.Protocol;

/// <summary>Capability names an agent announces in its hello reply. Wire strings: never change one.</summary>
public static class AgentCapabilities
{
    public const string Exec = "exec";
    public const string Tty = "tty";
    public const string Stdin = "stdin";
    public const string Signal = "signal";
    public const string Resize = "resize";
    public const string Cancel = "cancel";
    public const string User = "user";
    public const string FileRead = "file-read";
    public const string FileWrite = "file-write";

    /// <summary>ArchiveRead and ArchiveWrite: whole trees as tar streams.</summary>
    public const string Archive = "archive";

    /// <summary>TreeManifest: a tree's entries with git blob hashes of their content.</summary>
    public const string TreeManifest = "tree-manifest";

    /// <summary>PortConnect: TCP connections to ports on the sandbox's loopback, opened by the agent.</summary>
    public const string Ports = "ports";

    /// <summary>The agent runs as PID 1 and reaps every orphan in the sandbox.</summary>
    public const string Reaper = "reaper";

    /// <summary>
    /// Suspend: the agent closes its listening socket and the connection, then waits for SIGUSR1 to listen again, so a
    /// checkpoint (runsc's, which cannot save host sockets) finds none. Only an agent that listens (<c>--listen</c>) has it.
    /// </summary>
    public const string Suspend = "suspend";
}
