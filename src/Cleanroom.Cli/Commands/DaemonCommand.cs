using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Service;
using Cleanroom.Client;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom daemon status|logs|restart</c>: the server installed by <c>serve install</c>, through systemd
/// (<see cref="SystemdService"/>). <c>status</c> also asks the API itself whether it answers, so it is useful on a
/// host without systemd too; <c>logs</c> and <c>restart</c> need systemd and say so where it does not run.
/// </summary>
internal static class DaemonCommand
{
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(10);

    public static Command Build(CliConsole console)
    {
        var daemon = new Command("daemon", "The Cleanroom service installed by 'serve install': its state, journal and restart.");
        daemon.Subcommands.Add(Status(console));
        daemon.Subcommands.Add(Logs(console));
        daemon.Subcommands.Add(Restart(console));
        return daemon;
    }

    private static Command Status(CliConsole console)
    {
        var host = CommonOptions.Host();
        var command = new Command("status", "Show the service's state (systemd) and whether its API answers; exits 1 when it does not.") { host };
        command.SetAction((parse, token) => RunAsync(console, async () =>
        {
            var serviceUp = true;
            if (SystemdService.Running)
            {
                var unit = await SystemdService.ShowAsync(token);
                serviceUp = unit.GetValueOrDefault("ActiveState") == "active";
                console.Out.WriteLine($"service:   {Describe(unit)}");
            }
            else
            {
                console.Out.WriteLine($"service:   {SystemdService.NotRunningReason}: not managed as a service");
            }
            var (answering, where) = await AnswersAsync(console, parse.GetValue(host), token);
            console.Out.WriteLine($"api:       {where}");
            return serviceUp && answering ? ExitCode.Success : ExitCode.Failure;
        }));
        return command;
    }

    private static Command Logs(CliConsole console)
    {
        var lines = new Option<int>("-n", "--lines") { Description = "How many of the last entries to show", DefaultValueFactory = _ => 100 };
        var follow = new Option<bool>("-f", "--follow") { Description = "Keep showing new entries until interrupted" };
        var directory = new Option<string?>("--journal-directory") { Description = "Read this journal directory (a copy from another host) instead of the system journal" };
        var command = new Command("logs", "Show the service's log from the systemd journal.") { lines, follow, directory };
        command.SetAction((parse, token) => RunAsync(console, async () =>
        {
            var count = parse.GetValue(lines);
            if (count < 0) throw new CleanroomException(ErrorCode.InvalidArgument, "-n must be 0 or more");
            var journal = parse.GetValue(directory) is { } given ? console.ResolvePath(given) : null;
            if (journal is null) SystemdService.RequireRunning("the service has no journal here");
            if (journal is not null && !Directory.Exists(journal))
                throw new CleanroomException(ErrorCode.InvalidArgument, $"--journal-directory {journal} does not exist");
            var argv = SystemdService.JournalArgv(count, parse.GetValue(follow), journal);
            try
            {
                var result = await SystemdService.StreamJournalAsync(argv, new TextWriterStream(console.Out), token);
                if (!result.Succeeded)
                    throw new CleanroomException(ErrorCode.SystemdUnavailable, $"journalctl exited with {result.ExitCode}: {result.Stderr.Trim()}");
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Interrupting a followed journal is how it ends.
            }
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command Restart(CliConsole console)
    {
        var host = CommonOptions.Host();
        var command = new Command("restart", "Restart the service and wait until its API answers again. READY sandboxes are re-adopted.") { host };
        command.SetAction((parse, token) => RunAsync(console, async () =>
        {
            SystemdService.RequireRunning("there is no service to restart");
            await SystemdService.RestartAsync(token);
            var unit = await SystemdService.ShowAsync(token);
            console.Out.WriteLine($"service:   {Describe(unit)}");
            var (answering, where) = await AnswersAsync(console, parse.GetValue(host), token);
            console.Out.WriteLine($"api:       {where}");
            return answering ? ExitCode.Success : ExitCode.Failure;
        }));
        return command;
    }

    private static string Describe(IReadOnlyDictionary<string, string> unit)
    {
        if (unit.GetValueOrDefault("LoadState") == "not-found")
            return $"{ServiceUnit.FileName} is not installed ('cleanroom serve install' installs it)";
        var state = $"{unit.GetValueOrDefault("ActiveState")} ({unit.GetValueOrDefault("SubState")})";
        var since = unit.GetValueOrDefault("ActiveEnterTimestamp") is { Length: > 0 } at ? $" since {at}" : "";
        var pid = unit.GetValueOrDefault("MainPID") is { Length: > 0 } p && p != "0" ? $", pid {p}" : "";
        var status = unit.GetValueOrDefault("StatusText") is { Length: > 0 } text ? $", {text}" : "";
        return $"{ServiceUnit.FileName} {state}{since}{pid}, {unit.GetValueOrDefault("UnitFileState")}{status}";
    }

    /// <summary>Whether the server at the CLI's address answers a call that creates nothing (WhoAmI), within a deadline.</summary>
    private static async Task<(bool, string)> AnswersAsync(CliConsole console, string? host, CancellationToken token)
    {
        var options = console.Connection.ClientOptions(host, console.GetEnvironment);
        try
        {
            using var client = new CleanroomClient(options);
            await client.Identity.WhoAmIAsync(new WhoAmIRequest(), deadline: DateTime.UtcNow + AnswerDeadline, cancellationToken: token);
            return (true, $"answering on {options.Address}");
        }
        catch (Exception e) when (e is CleanroomException or Grpc.Core.RpcException)
        {
            return (false, $"not answering on {options.Address}: {e.Message}");
        }
    }

    private static async Task<int> RunAsync(CliConsole console, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CleanroomException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
            if (ApiSession.NextStep(e.Code) is { } hint) console.Error.WriteLine($"  next: {hint}");
            return e.Code == ErrorCode.InvalidArgument ? ExitCode.Usage : ExitCode.Failure;
        }
    }
}
