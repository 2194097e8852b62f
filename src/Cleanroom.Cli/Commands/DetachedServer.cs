using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Client;
using Cleanroom.Api.Errors;
using Cleanroom.Api.V1;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom serve --detach</c>: starts this binary's server in a session of its own (so a closing terminal
/// does not stop it), logging to the state directory, and returns once the server says it is ready — it writes
/// one line on a pipe this process reads, so there is no polling. Succeeds at once when a server already answers.
/// </summary>
internal static class DetachedServer
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    public static async Task<int> StartAsync(CliConsole console, string[] listen, string readyFlag, CancellationToken cancellationToken)
    {
        var address = listen.Length == 0 ? DefaultApiAddress.Socket(console.GetEnvironment) : ApiAddress.Parse(listen[0]);
        if (await AnswersAsync(address, cancellationToken))
        {
            console.Error.WriteLine($"cleanroom: a server is already running on {address}");
            return ExitCode.Success;
        }

        Directory.CreateDirectory(console.Directories.StateHome);
        var logFile = Path.Combine(console.Directories.StateHome, "server.log");
        // Every standard stream is a pipe of ours, closed when this process exits: the server must not hold on to
        // the caller's terminal or pipes (a caller reading our output to its end would otherwise wait forever).
        // The server logs to its file from the start.
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Environment.ProcessPath!);
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(readyFlag);
        start.ArgumentList.Add(logFile);
        foreach (var item in listen)
        {
            start.ArgumentList.Add("--listen");
            start.ArgumentList.Add(item);
        }

        using var server = Process.Start(start)!;
        server.StandardInput.Close();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyDeadline);
        string? line;
        try
        {
            line = await server.StandardOutput.ReadLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line == "ready")
        {
            console.Error.WriteLine($"cleanroom: server running on {address} (log: {logFile})");
            return ExitCode.Success;
        }

        console.Error.WriteLine($"cleanroom: the server did not start; the end of {logFile}:");
        foreach (var logLine in File.Exists(logFile) ? File.ReadLines(logFile).TakeLast(10) : [])
        {
            console.Error.WriteLine($"  {logLine}");
        }

        return ExitCode.Failure;
    }

    private static async Task<bool> AnswersAsync(ApiAddress address, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new CleanroomClient(address);
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: cancellationToken);
            return true;
        }
        catch (ServerNotRunningException)
        {
            return false;
        }
    }
}
