using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;
using Cleanroom.Cli.Terminal;
using Grpc.Core;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom execution inspect|cancel|logs|attach</c>.</summary>
internal static class ExecutionCommand
{
    public static Command Build(CliConsole console)
    {
        var execution = new Command("execution", "Inspect, cancel and read the output of executions.");
        execution.Subcommands.Add(ExecutionList.Build(console));
        execution.Subcommands.Add(BuildInspect(console));
        execution.Subcommands.Add(BuildCancel(console));
        execution.Subcommands.Add(BuildLogs(console));
        execution.Subcommands.Add(BuildAttach(console));
        return execution;
    }

    private static Command BuildInspect(CliConsole console)
    {
        var (host, id, last, json) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last(), CommonOptions.Json());
        var command = new Command("inspect", "Show one execution: status, exit code, times.") { host, last, json };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var execution = await LastRecords.ExecutionByIdOrLastAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(ProtoJson.Format(execution));
            }
            else
            {
                HumanFormat.Execution(console.Out, execution);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildCancel(CliConsole console)
    {
        var (host, id, last) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last());
        var command = new Command("cancel", "Cancel a running execution (SIGTERM, then SIGKILL after a grace period).") { host, last };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var execution = await LastRecords.ExecutionByIdOrLastAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            var response = await client.Executions.CancelExecutionAsync(
                new CancelExecutionRequest { SandboxId = execution.SandboxId, ExecutionId = execution.ExecutionId }, cancellationToken: token);
            console.Out.WriteLine(response.Accepted
                ? $"execution {response.ExecutionId} {HumanFormat.Status(response.Status)}"
                : $"execution {response.ExecutionId} had already ended ({HumanFormat.Status(response.Status)})");
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildLogs(CliConsole console)
    {
        var (host, id, last) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last());
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing output until the execution ends" };
        var command = new Command("logs", "Print an execution's retained stdout and stderr.") { host, last, follow };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var execution = await LastRecords.ExecutionByIdOrLastAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            using var call = client.Executions.StreamExecution(new StreamExecutionRequest
            {
                SandboxId = execution.SandboxId,
                ExecutionId = execution.ExecutionId,
                Follow = parse.GetValue(follow),
            }, cancellationToken: token);
            await foreach (var item in call.ResponseStream.ReadAllAsync(token))
            {
                if (item.PayloadCase == ExecutionStreamEvent.PayloadOneofCase.Stdout)
                {
                    await console.RawOut.WriteAsync(item.Stdout.Memory, token);
                }
                else if (item.PayloadCase == ExecutionStreamEvent.PayloadOneofCase.Stderr)
                {
                    await console.RawError.WriteAsync(item.Stderr.Memory, token);
                }
                else if (item.PayloadCase == ExecutionStreamEvent.PayloadOneofCase.Message)
                {
                    console.Error.WriteLine($"cleanroom: {item.Message}");
                }
            }

            await console.RawOut.FlushAsync(token);
            await console.RawError.FlushAsync(token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildAttach(CliConsole console)
    {
        var (host, id, last) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last());
        var noStdin = new Option<bool>("--no-stdin", "-n") { Description = "Only watch: leave the execution's stdin to another session" };
        var detachKeys = new Option<string?>("--detach-keys") { Description = $"Keys that leave a terminal session with the command still running (default {DetachKeys.Default})" };
        var command = new Command("attach", "Come back to a running execution: its output so far, then live; your input goes to it (a terminal one gets this terminal).")
        {
            host, last, noStdin, detachKeys,
        };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var execution = await LastRecords.ExecutionByIdOrLastAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            var writes = !parse.GetValue(noStdin) && execution.Status is ExecutionStatus.Running or ExecutionStatus.Queued;
            var mode = new AttachMode(execution.Tty, writes, DetachKeys.Parse(parse.GetValue(detachKeys)));
            using var session = new AttachedSession(console, client, mode, token);
            var outcome = await session.RunAsync(new AttachExecutionRequest
            {
                Attach = new AttachTarget { SandboxId = execution.SandboxId, ExecutionId = execution.ExecutionId, Stdin = writes },
            });
            return outcome.ExitCode;
        }));
        return command;
    }

    private static Argument<string?> IdArgument() => new("execution-id") { Arity = ArgumentArity.ZeroOrOne, Description = "The execution (or --last)" };
}
