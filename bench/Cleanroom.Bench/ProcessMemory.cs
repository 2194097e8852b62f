using Cleanroom.HostProcesses;

namespace Cleanroom.Bench;

/// <summary>
/// Memory the host spends on processes, as proportional set size (shared pages split among their users), read from
/// /proc/PID/smaps_rollup; and the host's MemAvailable. PSS is what sums fairly over many sandboxes that share
/// runsc's binary and libraries.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Total PSS in MiB of every process whose command line contains <paramref name="marker"/>.</summary>
    public static double PssMiB(string marker)
    {
        long kib = 0;
        foreach (var (pid, argv) in ProcessTable.All())
        {
            if (!string.Join('\0', argv).Contains(marker, StringComparison.Ordinal))
                continue;
            try
            {
                var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
                if (line is not null)
                    kib += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        return kib / 1024.0;
    }

    public static double AvailableMiB()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }
}
