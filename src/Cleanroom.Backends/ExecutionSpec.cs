namespace Cleanroom.Backends;

/// <summary>
/// What to run. <see cref="Env"/> is a list of name/value pairs so its order is kept exactly as given
/// (names are unique; the control plane checks). <see cref="Timeout"/> is enforced by the control plane
/// (SIGTERM, then SIGKILL after a grace period); a backend may ignore it.
/// </summary>
public sealed record ExecutionSpec
{
    public required IReadOnlyList<string> Argv { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
    /// <summary>Working directory in the guest; null means the image's default.</summary>
    public string? Cwd { get; init; }
    /// <summary>User in the guest (name or uid); null means the image's default.</summary>
    public string? User { get; init; }
    public bool Tty { get; init; }
    /// <summary>The terminal's size at start when <see cref="Tty"/> is set.</summary>
    public TerminalSize TerminalSize { get; init; } = TerminalSize.Default;
    /// <summary>Whether the caller will write stdin. Without it the process gets an empty stdin.</summary>
    public bool Stdin { get; init; }
    public TimeSpan? Timeout { get; init; }
}
