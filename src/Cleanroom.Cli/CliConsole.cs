using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli;

/// <summary>
/// What a verb may touch of the outside world: its output streams, environment and working directory.
/// Verbs take it instead of reaching for <see cref="Console"/> so that tests run them in-process.
/// </summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, Func<string, string?> GetEnvironment, string WorkingDirectory)
{
    public static CliConsole FromProcess() =>
        new(Console.Out, Console.Error, Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory())
        {
            RawOut = Console.OpenStandardOutput(),
            RawError = Console.OpenStandardError(),
            // fd 0 read as bytes: Console.OpenStandardInput line-edits a terminal's input, which raw mode must not get.
            RawIn = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0),
            InputIsTerminal = Terminal.LocalTerminal.StdinIsTerminal,
            InteractiveProcess = true,
        };

    /// <summary>Byte streams for a workload's output, which is passed through untouched (not decoded as text).</summary>
    public Stream RawOut { get; init; } = Stream.Null;

    public Stream RawError { get; init; } = Stream.Null;

    /// <summary>This process's stdin as bytes; null when a verb runs without one (tests in-process).</summary>
    public Stream? RawIn { get; init; }

    /// <summary>Whether <see cref="RawIn"/> is a terminal (a person typing) rather than a pipe or file.</summary>
    public bool InputIsTerminal { get; init; }

    /// <summary>True for the real process: verbs may then install signal handlers (Ctrl-C) on it.</summary>
    public bool InteractiveProcess { get; init; }

    /// <summary>The root's connection flags (TLS files, token file) of this invocation.</summary>
    public Client.ConnectionFlags Connection { get; init; } = Client.ConnectionFlags.None;

    public HostDirectories Directories => HostDirectories.FromEnvironment(GetEnvironment);

    /// <summary>Resolves a user-given path against this console's working directory.</summary>
    public string ResolvePath(string? path) =>
        string.IsNullOrEmpty(path) ? WorkingDirectory : Path.GetFullPath(path, WorkingDirectory);
}
