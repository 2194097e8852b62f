using System.Diagnostics;

namespace Cleanroom.Bench;

/// <summary>Runs a program to completion, failing loudly: a benchmark of a failing command measures nothing.</summary>
internal static class Commands
{
    public static Task RunAsync(string program, params string[] args) => OutputAsync(check: true, program, args);

    /// <summary>Runs the program and returns what it printed on stdout; with <paramref name="check"/> a non-zero exit throws.</summary>
    public static async Task<string> OutputAsync(bool check, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }

        return await stdout;
    }
}
