using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom sandbox ls [--all] [--json]</c>: live sandboxes (PROVISIONING, READY, STOPPING), newest last; with
/// <c>--all</c> also those that ended (STOPPED, FAILED) whose records the server still keeps.
/// </summary>
internal static class SandboxList
{
    public static bool IsLive(Sandbox sandbox) => sandbox.Status is not (SandboxStatus.Stopped or SandboxStatus.Failed);

    public static Command Build(CliConsole console)
    {
        var host = CommonOptions.Host();
        var json = CommonOptions.Json();
        var all = new Option<bool>("--all", "-a") { Description = "Also sandboxes that have ended (STOPPED, FAILED)" };
        var command = new Command("ls", "List live sandboxes, newest last.") { host, all, json };
        command.Aliases.Add("list");
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var response = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: token);
            if (!parse.GetValue(all))
            {
                var live = response.Sandboxes.Where(IsLive).ToList();
                response.Sandboxes.Clear();
                response.Sandboxes.AddRange(live);
            }
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(ProtoJson.Format(response));
                return ExitCode.Success;
            }

            var table = new TextTable("SANDBOX", "STATUS", "BACKEND", "CREATED", "POLICY");
            foreach (var sandbox in response.Sandboxes.OrderBy(s => s.CreatedAt?.ToDateTimeOffset()))
            {
                table.Add(sandbox.SandboxId, HumanFormat.Status(sandbox.Status), sandbox.Backend, HumanFormat.Time(sandbox.CreatedAt), HumanFormat.ShortHash(sandbox.PolicyHash));
            }

            table.WriteTo(console.Out);
            return ExitCode.Success;
        }));
        return command;
    }
}
