using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom execution ls [--in ID] [--all] [--json]</c>: executions of live sandboxes (or of one sandbox, or with
/// <c>--all</c> of every sandbox the server still has a record of), oldest first.
/// </summary>
internal static class ExecutionList
{
    public static Command Build(CliConsole console)
    {
        var host = CommonOptions.Host();
        var json = CommonOptions.Json();
        var all = new Option<bool>("--all", "-a") { Description = "Also executions of sandboxes that have ended" };
        var sandbox = new Option<string?>("--in", "--sandbox-id") { Description = "Only this sandbox's executions" };
        var command = new Command("ls", "List executions of live sandboxes, oldest first.") { host, sandbox, all, json };
        command.Aliases.Add("list");
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var executions = (await client.Executions.ListExecutionsAsync(new ListExecutionsRequest { SandboxId = parse.GetValue(sandbox) ?? "" },
                cancellationToken: token)).Executions.AsEnumerable();
            if (parse.GetValue(sandbox) is null && !parse.GetValue(all))
            {
                var live = (await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: token)).Sandboxes
                    .Where(SandboxList.IsLive).Select(s => s.SandboxId).ToHashSet(StringComparer.Ordinal);
                executions = executions.Where(e => live.Contains(e.SandboxId));
            }
            var ordered = executions.OrderBy(e => e.StartedAt?.ToDateTimeOffset() ?? DateTimeOffset.MaxValue).ToList();
            if (parse.GetValue(json))
            {
                var response = new ListExecutionsResponse();
                response.Executions.AddRange(ordered);
                console.Out.WriteLine(ProtoJson.Format(response));
                return ExitCode.Success;
            }

            var table = new TextTable("EXECUTION", "SANDBOX", "STATUS", "EXIT", "STARTED", "COMMAND");
            foreach (var execution in ordered)
            {
                var ended = execution.Status is not (ExecutionStatus.Running or ExecutionStatus.Queued);
                table.Add(execution.ExecutionId, execution.SandboxId, HumanFormat.Status(execution.Status), ended ? execution.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
                    HumanFormat.Time(execution.StartedAt), Shorten(string.Join(' ', execution.Command)));
            }
            table.WriteTo(console.Out);
            return ExitCode.Success;
        }));
        return command;
    }

    private static string Shorten(string text) => text.Length <= 48 ? text : text[..47] + "…";
}
