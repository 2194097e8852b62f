using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.Api.Addressing;
using Cleanroom.Cli.Diagnostics;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom doctor</c>: checks this host for what Cleanroom needs, probes every backend for real, and with
/// <c>--json</c> lists each backend's capability map. Exits 1 when a check fails.
/// </summary>
internal static class DoctorCommand
{
    public static Command Build(CliConsole console)
    {
        var (host, json) = (CommonOptions.Host(), CommonOptions.Json());
        var command = new Command("doctor", "Check this host: tools, runtime config, server, and a real probe of every backend.") { host, json };
        command.SetAction((parse, token) => RunAsync(console, parse.GetValue(host), parse.GetValue(json), token));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string? host, bool json, CancellationToken cancellationToken)
    {
        var directories = console.Directories;
        var config = RuntimeConfigReader.ReadFile(directories.ConfigFile);
        var checks = new List<HostCheck> { HostChecks.RuntimeConfig(config) };
        checks.AddRange(HostChecks.ToolsOnPath(console.GetEnvironment));
        checks.Add(await HostChecks.ServerAsync(DefaultApiAddress.ForClient(host, console.GetEnvironment), cancellationToken));

        var backends = new JsonArray();
        var registry = BackendCatalog.ForHost(config.Configuration ?? RuntimeConfiguration.Empty, directories, NullLoggerFactory.Instance);
        foreach (var backend in registry.All)
        {
            var health = await registry.ProbeAsync(backend, cancellationToken);
            checks.Add(health.Usable
                ? new HostCheck($"backend {backend.Name}", CheckOutcome.Pass, "usable (a real probe succeeded)")
                : new HostCheck($"backend {backend.Name}", CheckOutcome.Fail, health.Reason ?? "unusable", "see the reason; 'cleanroom doctor' again after fixing"));
            backends.Add(new JsonObject
            {
                ["name"] = backend.Name,
                ["usable"] = health.Usable,
                ["reason"] = health.Reason,
                ["capabilities"] = JsonNode.Parse(backend.Capabilities.ToJson()),
            });
        }

        if (registry.All.Count == 0)
        {
            checks.Add(new HostCheck("backends", CheckOutcome.Fail, "this build registers no sandbox backend", "sandboxes cannot start until a backend is available"));
        }

        if (json)
        {
            var report = new JsonObject
            {
                ["ok"] = checks.All(c => c.Outcome != CheckOutcome.Fail),
                ["checks"] = new JsonArray(checks.Select(c => (JsonNode?)new JsonObject
                {
                    ["name"] = c.Name,
                    ["status"] = c.Outcome.ToString().ToLowerInvariant(),
                    ["detail"] = c.Detail,
                    ["fix"] = c.Fix,
                }).ToArray()),
                ["backends"] = backends,
            };
            console.Out.WriteLine(report.ToJsonString());
        }
        else
        {
            foreach (var check in checks)
            {
                console.Out.WriteLine($"[{check.Outcome.ToString().ToLowerInvariant(),-4}] {check.Name}: {check.Detail}");
                if (check.Fix is not null && check.Outcome != CheckOutcome.Pass)
                {
                    console.Out.WriteLine($"       fix: {check.Fix}");
                }
            }
        }

        return checks.Any(c => c.Outcome == CheckOutcome.Fail) ? ExitCode.Failure : ExitCode.Success;
    }
}
