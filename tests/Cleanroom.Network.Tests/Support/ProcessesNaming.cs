using System.Diagnostics;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Host processes whose command line names a path (a sandbox host's private temporary directory): what a
/// backend started there and left running. Only processes started with that directory can name it, so killing
/// them never touches anyone else's.
/// </summary>
internal static class ProcessesNaming
{
    public static List<int> Find(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(text, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>Kills each process naming <paramref name="text"/> and waits (up to the deadline) for it to be gone.</summary>
    public static async Task KillAsync(string text, TimeSpan deadline)
    {
        foreach (var pid in Find(text))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                using var wait = new CancellationTokenSource(deadline);
                process.Kill();
                await process.WaitForExitAsync(wait.Token);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OperationCanceledException)
            {
                // Gone already, or not ours to wait for; the directory removal below does not depend on it.
            }
        }
    }
}
