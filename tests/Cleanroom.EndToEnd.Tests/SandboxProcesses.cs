namespace Cleanroom.EndToEnd.Tests;

/// <summary>The host's processes of one sandbox: those whose command line names its runsc container (<c>cleanroom-ID</c>).</summary>
internal static class SandboxProcesses
{
    public static IReadOnlyList<int> Of(string sandboxId)
    {
        var container = "cleanroom-" + sandboxId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Any(a => a.Contains(container, StringComparison.Ordinal)))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return found;
    }

    /// <summary>The resident memory of those processes together (VmRSS, KiB).</summary>
    public static long RssKib(string sandboxId) => Of(sandboxId).Sum(pid =>
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    });
}
