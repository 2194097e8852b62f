namespace Cleanroom.Agent;

/// <summary>How one host connection ended, which decides what the agent does next.</summary>
internal enum SessionEnd
{
    /// <summary>The host went away (a server restarting): wait for the next one.</summary>
    HostLeft,

    /// <summary>The host asked the agent to stop: the sandbox ends.</summary>
    Shutdown,

    /// <summary>The host is about to checkpoint the sandbox: close every host socket, wait to be woken, listen again.</summary>
    Suspend,
}
