using Cleanroom.HostProcesses;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Finds runsc processes of one sandbox by their command lines (<see cref="ProcessTable"/>), so teardown and reconciliation
/// can prove none is left, and kill any that is. A process is a sandbox's when it runs with our runsc root
/// (<c>--root=…</c>) and names the sandbox's container id or a path in its run directory, alone or as a flag's
/// value (the gofer names only <c>--bundle=…</c> and <c>--log=…</c>). Zombies have no command line and are not matched: they hold nothing.
/// </summary>
internal static class RunscProcesses
{
    public static IReadOnlyList<int> OfSandbox(string runscRoot, string containerId, string runDirectory) =>
        Find(argv => argv.Contains($"--root={runscRoot}") && argv.Any(a => a == containerId || NamesPathIn(a, runDirectory)));

    // The gofer names its run directory only inside flags (--bundle=DIR/bundle, --log=DIR/runsc.log).
    private static bool NamesPathIn(string argument, string directory)
    {
        var value = argument.StartsWith("--", StringComparison.Ordinal) && argument.IndexOf('=') is > 0 and var equals ? argument[(equals + 1)..] : argument;
        return value == directory || value.StartsWith(directory + "/", StringComparison.Ordinal);
    }

    /// <summary>Every process started with our runsc root, whatever its container.</summary>
    public static IReadOnlyList<int> UnderRoot(string runscRoot) =>
        Find(argv => argv.Contains($"--root={runscRoot}"));

    /// <summary>SIGKILLs the given processes; those already gone are skipped.</summary>
    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited meanwhile.
            }
        }
    }

    private static List<int> Find(Func<string[], bool> matches) =>
        ProcessTable.All().Where(p => matches(p.Argv)).Select(p => p.Pid).ToList();
}
