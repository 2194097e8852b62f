using System.Diagnostics;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Runs host programs for the test's own scaffolding (ip/nft for upstream hosts and inspection, the build
/// scripts, dotnet publish); throws on failure unless asked not to. A program still running at the deadline
/// (60 s unless given) is killed with its children.
/// </summary>
internal static class HostShell
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        IReadOnlyList<string> argv, string? stdin = null, bool check = true, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in argv.Skip(1))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {timeout ?? TimeSpan.FromSeconds(60)}");
        }
        var result = (process.ExitCode, await stdout, await stderr);
        if (check && result.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', argv)} exited {result.ExitCode}: {result.Item3}");
        return result;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (for kernel state that has no event to wait on).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < deadline)
        {
            if (await condition())
                return true;
            await Task.Delay(100);
        }
        return await condition();
    }
}
