namespace Cleanroom.Agent.Client;

/// <summary>A command to run in the guest.</summary>
public sealed record ExecutionRequest(IReadOnlyList<string> Argv)
{
    /// <summary>The command's complete environment; nothing is inherited from the agent. Without PATH, commands are looked up in a standard path.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Absolute path; null for the agent's own working directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>"name", "uid", "name:group" or "uid:gid" from the guest's /etc/passwd and /etc/group; null for the agent's user.</summary>
    public string? User { get; init; }

    /// <summary>Run on a pseudo-terminal: stdout and stderr arrive merged as stdout.</summary>
    public bool Tty { get; init; }

    /// <summary>Give the command a stdin to write to; otherwise it reads end of file at once.</summary>
    public bool Stdin { get; init; }

    /// <summary>Initial terminal size when <see cref="Tty"/> is set.</summary>
    public TerminalSize TerminalSize { get; init; } = new(24, 80);
}

public readonly record struct TerminalSize(ushort Rows, ushort Columns);
