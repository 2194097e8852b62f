namespace Cleanroom.Client;

/// <summary>How a command runs in the sandbox.</summary>
public sealed record ExecOptions
{
    /// <summary>Extra environment variables for the workload.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Absolute working directory in the sandbox; null means the sandbox's workspace or the image's default.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>User name or uid to run as; null means the image's default.</summary>
    public string? User { get; init; }

    /// <summary>After this the server stops the command (SIGTERM, then SIGKILL) and it ends TIMED_OUT; null means no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Connect the workload's stdin to <see cref="Execution.WriteStdinAsync"/> and <see cref="Execution.CloseStdinAsync"/>.
    /// When false it reads /dev/null.
    /// </summary>
    public bool Stdin { get; init; }
}
