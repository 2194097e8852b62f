using System.Text;
using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent;

/// <summary>
/// The agent's own diagnostics, on standard error. Never standard output: with --stdio that is the
/// protocol channel. Written with write(2) directly to keep the console machinery out of the binary.
/// </summary>
internal static class AgentLog
{
    private static readonly Microsoft.Win32.SafeHandles.SafeFileHandle StandardError = FileDescriptors.Borrow(2);

    public static bool Verbose { get; set; }

    public static void Debug(string message)
    {
        if (Verbose)
            Write("debug", message);
    }

    public static void Info(string message) => Write("info", message);

    public static void Error(string message) => Write("error", message);

    private static void Write(string level, string message)
    {
        try
        {
            FileDescriptors.WriteAll(StandardError, Encoding.UTF8.GetBytes($"cleanroom-agent[{Environment.ProcessId}] {level}: {message}\n"));
        }
        catch (IOException)
        {
            // Nobody is listening to stderr; diagnostics are best effort.
        }
    }
}
