using System.Diagnostics;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>What a finished program printed and returned.</summary>
public sealed record ProgramResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs programs the way a user's shell would, with a deadline so a hung command fails the test.</summary>
public static class Shell
{
    public static async Task<ProgramResult> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            // What it printed before it hung says where it hung (the streams end once the process is gone).
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish in time; stdout: {await stdout}; stderr: {await stderr}");
        }

        return new ProgramResult(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> CheckAsync(params string[] argv)
    {
        var result = await RunAsync(argv);
        return result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException($"{string.Join(' ', argv)}: {result}");
    }
}
