using Cleanroom.Cli.Service;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.Errors;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom serve --detach</c>: starts this binary's server in a session of its own (so a closing terminal
/// does not stop it), logging to the state directory, and returns once the server says it is ready — it writes
/// one line on a pipe this process reads, so there is no polling. Succeeds at once when a server already answers.
/// </summary>
internal static class DetachedServer
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    public static async Task<int> StartAsync(CliConsole console, string[] listen, string readyFlag, ServerLogging logging, CancellationToken cancellationToken)
    {
        var address = listen.Length == 0 ? DefaultApiAddress.Socket(console.GetEnvironment) : ApiAddress.Parse(listen[0]);
        if (await AnswersAsync(address, cancellationToken))
        {
            console.Error.WriteLine($"cleanroom: a server is already running on {address}");
            return ExitCode.Success;
        }

        Directory.CreateDirectory(console.Directories.StateHome);
        var logFile = Path.Combine(console.Directories.StateHome, "server.log");
        // Started through the one place that starts long-lived programs: a session of its own, stdin /dev/null, stderr
        // (native crash output included) appended to the log, stdout a pipe whose one line says it is ready. Nothing
        // of the caller's terminal or pipes is held (a caller reading our output to its end would otherwise wait for ever).
        List<string> argv = [Environment.ProcessPath!, "serve", readyFlag, logFile, "--log-level", logging.Level, "--log-format", logging.Format];
        foreach (var item in listen)
        {
            argv.Add("--listen");
            argv.Add(item);
        }
        foreach (var (flag, value) in new[] { ("--tls-cert", console.Connection.TlsCert), ("--tls-key", console.Connection.TlsKey), ("--tls-ca", console.Connection.TlsCa) })
        {
            if (value is null) continue;
            argv.Add(flag);
            argv.Add(value);
        }

        DetachedProcess server;
        try
        {
            server = DetachedProgram.Start(argv, logFile, readinessPipe: true, NullLogger.Instance, ErrorCode.RuntimeLaunchFailed);
        }
        catch (CleanroomException e)
        {
            console.Error.WriteLine($"cleanroom: cannot start the server: {e.Message}");
            return ExitCode.Failure;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyDeadline);
        string? line;
        try
        {
            line = await server.ReadReadinessLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line is not null && (line == "ready" || line.StartsWith("ready ", StringComparison.Ordinal)))
        {
            var serving = line.Length > "ready ".Length ? string.Join(", ", line["ready ".Length..].Split(' ')) : address.ToString();
            console.Error.WriteLine($"cleanroom: server running on {serving} (log: {logFile})");
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
        catch (RemoteErrorException)
        {
            return true; // A server answered, if only to refuse this call (unauthenticated).
        }
    }
}
