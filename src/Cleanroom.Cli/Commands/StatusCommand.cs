using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom status [--last | --last-run]</c>: the server's sandboxes and warm pool at a glance, or the newest run.</summary>
internal static class StatusCommand
{
    public static Command Build(CliConsole console)
    {
        var (host, last, json) = (CommonOptions.Host(), CommonOptions.Last(), CommonOptions.Json());
        // Upstream's spelling, which its docs and agents use.
        last.Aliases.Add("--last-run");
        var command = new Command("status", "Summarise the server's sandboxes; with --last, the newest sandbox and execution.") { host, last, json };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            if (parse.GetValue(last))
            {
                var sandbox = await LastRecords.SandboxAsync(client, token);
                var executions = await client.Executions.ListExecutionsAsync(new ListExecutionsRequest { SandboxId = sandbox.SandboxId }, cancellationToken: token);
                var execution = executions.Executions.MaxBy(e => e.StartedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue);
                if (parse.GetValue(json))
                {
                    var report = new JsonObject
                    {
                        ["sandbox"] = JsonNode.Parse(ProtoJson.Format(sandbox)),
                        ["execution"] = execution is null ? null : JsonNode.Parse(ProtoJson.Format(execution)),
                    };
                    console.Out.WriteLine(report.ToJsonString());
                }
                else
                {
                    HumanFormat.Sandbox(console.Out, sandbox);
                    if (execution is not null)
                    {
                        console.Out.WriteLine();
                        HumanFormat.Execution(console.Out, execution);
                    }
                }

                return ExitCode.Success;
            }

            var list = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: token);
            var counts = list.Sandboxes.GroupBy(s => HumanFormat.Status(s.Status)).OrderBy(g => g.Key).ToList();
            if (parse.GetValue(json))
            {
                var byStatus = new JsonObject();
                foreach (var group in counts)
                {
                    byStatus[group.Key] = group.Count();
                }

                var warm = new JsonArray(list.WarmPoolImageRefs.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray());
                console.Out.WriteLine(new JsonObject { ["server"] = client.Address.ToString(), ["sandboxes"] = byStatus, ["warm_pool"] = warm }.ToJsonString());
            }
            else
            {
                console.Out.WriteLine($"server:    {client.Address} (answering)");
                console.Out.WriteLine($"sandboxes: {(counts.Count == 0 ? "none" : string.Join(", ", counts.Select(g => $"{g.Count()} {g.Key}")))}");
                // Spares are sandboxes no record lists: say what they hold, since each keeps a sandbox's memory.
                console.Out.WriteLine($"warm pool: {(list.WarmPoolImageRefs.Count == 0 ? "empty" : "spares of " + string.Join(", ", list.WarmPoolImageRefs))}");
            }

            return ExitCode.Success;
        }));
        return command;
    }
}
