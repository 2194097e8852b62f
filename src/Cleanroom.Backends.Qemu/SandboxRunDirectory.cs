using System.Text.RegularExpressions;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu;

/// <summary>
/// Where one sandbox's files live on the host: <c>&lt;sandbox root&gt;/cleanroom-&lt;id&gt;/</c> with the agent socket,
/// QEMU's pidfile, the guest console log and the disk overlay. The directory name carries the sandbox id, so
/// reconciliation finds leftovers by name alone.
/// </summary>
internal sealed partial record SandboxRunDirectory(string SandboxRoot, string SandboxId)
{
    private const string Prefix = "cleanroom-";

    public static SandboxRunDirectory For(string sandboxRoot, string sandboxId)
    {
        // The id lands in paths, QEMU's -name and a unix socket path (at most 107 bytes): keep it plain and short.
        if (!SafeId().IsMatch(sandboxId))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox id '{sandboxId}' must be 1-64 letters, digits, '-', '_' or '.' and not start with '.'");
        var directory = new SandboxRunDirectory(System.IO.Path.GetFullPath(sandboxRoot), sandboxId);
        if (directory.AgentSocket.Length > 107)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"the agent socket path {directory.AgentSocket} is longer than a unix socket allows; use a shorter sandbox root");
        return directory;
    }

    /// <summary>The sandbox id a run directory name belongs to, or null when it is not one of ours.</summary>
    public static string? SandboxIdOf(string directoryName) =>
        directoryName.StartsWith(Prefix, StringComparison.Ordinal) && SafeId().IsMatch(directoryName[Prefix.Length..])
            ? directoryName[Prefix.Length..]
            : null;

    public string Path => System.IO.Path.Combine(SandboxRoot, Prefix + SandboxId);

    public string AgentSocket => System.IO.Path.Combine(Path, "agent.sock");

    /// <summary>QEMU's stderr (it is started detached, so its errors are read from here).</summary>
    public string QemuLog => System.IO.Path.Combine(Path, "qemu.log");

    public string PidFile => System.IO.Path.Combine(Path, "qemu.pid");

    public string ConsoleLog => System.IO.Path.Combine(Path, "console.log");

    public string Overlay => System.IO.Path.Combine(Path, "disk.qcow2");

    [GeneratedRegex(@"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex SafeId();
}
