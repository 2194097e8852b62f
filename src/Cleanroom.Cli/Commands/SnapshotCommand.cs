using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom snapshot create|ls|inspect|rm</c>: a sandbox's memory, processes and files stored on the server, to
/// start new sandboxes from (<c>exec|create|console --from SNAPSHOT</c>).
/// </summary>
internal static class SnapshotCommand
{
    public static Command Build(CliConsole console)
    {
        var command = new Command("snapshot", "Store a sandbox's state (files and running processes) and start new sandboxes from it with --from");
        command.Subcommands.Add(BuildCreate(console));
        command.Subcommands.Add(BuildList(console));
        command.Subcommands.Add(BuildInspect(console));
        command.Subcommands.Add(BuildRemove(console));
        return command;
    }

    private static Command BuildCreate(CliConsole console)
    {
        var (host, last, json) = (CommonOptions.Host(), CommonOptions.Last(), CommonOptions.Json());
        var name = new Option<string?>("--name") { Description = "A name to remember it by" };
        var id = new Argument<string?>("sandbox-id") { Arity = ArgumentArity.ZeroOrOne, Description = "The sandbox (else --last)" };
        var command = new Command("create",
            "Snapshot a READY or SUSPENDED sandbox (gVisor with network_stack: sandbox); a READY one is suspended for it and woken after. Prints the snapshot's id.")
        { host, last, json, name };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            var snapshot = (await client.Sandboxes.CreateSnapshotAsync(new CreateSnapshotRequest { SandboxId = sandboxId, Name = parse.GetValue(name) ?? "" }, cancellationToken: token)).Snapshot;
            console.Out.WriteLine(parse.GetValue(json) ? ProtoJson.Format(snapshot) : snapshot.SnapshotId);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildList(CliConsole console)
    {
        var (host, json) = (CommonOptions.Host(), CommonOptions.Json());
        var command = new Command("ls", "List your snapshots (an admin's: all)") { host, json };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var response = await client.Sandboxes.ListSnapshotsAsync(new ListSnapshotsRequest(), cancellationToken: token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(ProtoJson.Format(response));
                return ExitCode.Success;
            }
            console.Out.WriteLine("SNAPSHOT ID\tNAME\tFROM SANDBOX\tBACKEND\tSIZE\tCREATED");
            foreach (var s in response.Snapshots)
                console.Out.WriteLine($"{s.SnapshotId}\t{(s.Name.Length == 0 ? "-" : s.Name)}\t{s.SourceSandboxId}\t{s.Backend}\t{s.SizeBytes}\t{s.CreatedAt.ToDateTimeOffset():u}");
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildInspect(CliConsole console)
    {
        var host = CommonOptions.Host();
        var id = new Argument<string>("snapshot-id") { Description = "The snapshot" };
        var command = new Command("inspect", "Show a snapshot as JSON: where it came from, its policy hash, size and owner") { host };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var snapshot = (await client.Sandboxes.GetSnapshotAsync(new GetSnapshotRequest { SnapshotId = parse.GetValue(id)! }, cancellationToken: token)).Snapshot;
            console.Out.WriteLine(ProtoJson.Format(snapshot));
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildRemove(CliConsole console)
    {
        var host = CommonOptions.Host();
        var id = new Argument<string>("snapshot-id") { Description = "The snapshot" };
        var command = new Command("rm", "Remove a snapshot (sandboxes started from it are not touched)") { host };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var removed = await client.Sandboxes.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = parse.GetValue(id)! }, cancellationToken: token);
            console.Out.WriteLine($"snapshot {removed.SnapshotId} removed");
            return ExitCode.Success;
        }));
        return command;
    }
}
