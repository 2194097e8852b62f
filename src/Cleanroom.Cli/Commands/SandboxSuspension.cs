using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom sandbox suspend|resume ID</c>: checkpoint a sandbox to disk, and wake it again.</summary>
internal static class SandboxSuspension
{
    public static Command BuildSuspend(CliConsole console) => Build(console, "suspend",
        "Suspend a READY sandbox in which nothing runs: its state goes to disk and no process of it is left on the host. "
        + "The next command, copy or port connection wakes it (or 'sandbox resume').",
        async (client, id, token) => (await client.Sandboxes.SuspendSandboxAsync(new SuspendSandboxRequest { SandboxId = id }, cancellationToken: token)).Sandbox);

    public static Command BuildResume(CliConsole console) => Build(console, "resume",
        "Wake a SUSPENDED sandbox: its processes and files come back as they were.",
        async (client, id, token) => (await client.Sandboxes.ResumeSandboxAsync(new ResumeSandboxRequest { SandboxId = id }, cancellationToken: token)).Sandbox);

    private static Command Build(CliConsole console, string name, string description, Func<Cleanroom.Client.CleanroomClient, string, CancellationToken, Task<Sandbox>> call)
    {
        var (host, last, json) = (CommonOptions.Host(), CommonOptions.Last(), CommonOptions.Json());
        var id = new Argument<string?>("sandbox-id") { Arity = ArgumentArity.ZeroOrOne, Description = "The sandbox (else --last)" };
        var command = new Command(name, description) { host, last, json };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            var sandbox = await call(client, sandboxId, token);
            console.Out.WriteLine(parse.GetValue(json) ? ProtoJson.Format(sandbox) : $"sandbox {sandbox.SandboxId} is {HumanFormat.Status(sandbox.Status)}");
            return ExitCode.Success;
        }));
        return command;
    }
}
