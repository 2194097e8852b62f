using System.Runtime.InteropServices;

namespace Cleanroom.Cli.Terminal;

/// <summary>
/// The libc calls behind the client's terminal handling (termios and the window size), which .NET has no API for.
/// Only <see cref="LocalTerminal"/> uses them.
/// </summary>
internal static partial class TerminalCalls
{
    internal const int StdinFileno = 0;
    internal const int StdoutFileno = 1;
    internal const int TcsaNow = 0;
    internal const nuint Tiocgwinsz = 0x5413;

    /// <summary>glibc's struct termios on Linux is 60 bytes; a little more leaves room and costs nothing.</summary>
    internal const int TermiosSize = 64;

    /// <summary>struct winsize: four unsigned shorts (rows, columns, x pixels, y pixels).</summary>
    internal const int WinsizeSize = 8;

    [LibraryImport("libc", EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    internal static partial int TcGetAttr(int fd, Span<byte> termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    internal static partial int TcSetAttr(int fd, int optionalActions, ReadOnlySpan<byte> termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    internal static partial void CfMakeRaw(Span<byte> termios);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int IoctlWinsize(int fd, nuint request, Span<byte> winsize);
}
