using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Cli.Service;

/// <summary>
/// The installed service as systemd sees it: whether systemd runs here at all, the unit's state
/// (<c>systemctl show</c>), restarting it, and its journal (<c>journalctl -u</c>). Both programs run through
/// <see cref="HostProgram"/>; where systemd does not run, every verb that needs it fails with <c>systemd_unavailable</c>.
/// </summary>
internal static class SystemdService
{
    private static readonly TimeSpan SystemctlDeadline = TimeSpan.FromMinutes(6);
    private static readonly string[] Properties = ["LoadState", "ActiveState", "SubState", "MainPID", "UnitFileState", "FragmentPath", "ActiveEnterTimestamp", "StatusText"];

    /// <summary>systemd's own test (sd_booted): it runs as the init system when this directory exists.</summary>
    public static bool Running => Directory.Exists("/run/systemd/system");

    public static string NotRunningReason => "systemd is not running on this host (no /run/systemd/system)";

    public static void RequireRunning(string what)
    {
        if (!Running)
            throw new CleanroomException(ErrorCode.SystemdUnavailable, $"{NotRunningReason}, so {what}; a server started by hand ('cleanroom serve') logs to its stderr");
    }

    /// <summary>The unit's properties as <c>systemctl show</c> prints them (<c>Name=value</c> lines).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ShowAsync(CancellationToken cancellationToken)
    {
        var result = await Program().RunCheckedAsync(["systemctl", "show", ServiceUnit.FileName, "--property", string.Join(",", Properties)], null, cancellationToken);
        return result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    /// <summary>Restarts the service; with <c>Type=notify</c> this returns once the new server said READY=1 (or failed).</summary>
    public static Task RestartAsync(CancellationToken cancellationToken) =>
        Program().RunCheckedAsync(["systemctl", "restart", ServiceUnit.FileName], null, cancellationToken);

    /// <summary>
    /// The journalctl command line for the unit's last <paramref name="lines"/> entries, following new ones with
    /// <paramref name="follow"/>; from <paramref name="journalDirectory"/> instead of the system journal when given
    /// (a journal copied from another machine).
    /// </summary>
    public static IReadOnlyList<string> JournalArgv(int lines, bool follow, string? journalDirectory)
    {
        List<string> argv = ["journalctl", "--unit", ServiceUnit.FileName, "--lines", lines.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-pager", "--output", "short-iso"];
        if (follow) argv.Add("--follow");
        if (journalDirectory is not null) argv.AddRange(["--directory", journalDirectory]);
        return argv;
    }

    /// <summary>Streams the journal into <paramref name="sink"/> until it ends, or, when following, until canceled.</summary>
    public static Task<HostProgramResult> StreamJournalAsync(IReadOnlyList<string> argv, Stream sink, CancellationToken cancellationToken) =>
        new HostProgram(NullLogger.Instance, ErrorCode.SystemdUnavailable, Timeout.InfiniteTimeSpan).StreamAsync(argv, null, sink, cancellationToken);

    private static HostProgram Program() => new(NullLogger.Instance, ErrorCode.SystemdUnavailable, SystemctlDeadline);
}
