namespace Cleanroom.HostProcesses;

/// <summary>
/// The one reader of /proc for finding processes by their command line (runsc's sandbox and gofer, QEMU): the
/// backends find what a dead server left, and prove teardown left nothing, through it. Processes that exit while
/// being read, zombies (empty command line) and processes not ours to read are skipped; this process never appears.
/// </summary>
public static class ProcessTable
{
    /// <summary>Every other process with a readable, non-empty command line.</summary>
    public static IReadOnlyList<(int Pid, string[] Argv)> All()
    {
        var found = new List<(int, string[])>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            if (CommandLine(pid) is { } argv)
                found.Add((pid, argv));
        }
        return found;
    }

    /// <summary>A process's argv, or null when it is gone, a zombie or not readable.</summary>
    public static string[]? CommandLine(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline");
            return text.Length == 0 ? null : text.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
