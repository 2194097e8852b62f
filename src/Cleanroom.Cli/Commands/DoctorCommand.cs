using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.Api.Addressing;
using Cleanroom.Backends.Gvisor;
using Cleanroom.Backends.Qemu;
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
        checks.Add(HostChecks.DefaultImage(HostImageStore.Open(directories), config.Configuration?.DefaultImage ?? RuntimeConfiguration.BuiltInDefaultImage));
        checks.Add(HostChecks.Forwarding());
        checks.AddRange(HostChecks.GatewayCredentials((config.Configuration ?? RuntimeConfiguration.Empty).Gateway, console.GetEnvironment));
        checks.AddRange(HostChecks.Secrets((config.Configuration ?? RuntimeConfiguration.Empty).Secrets, console.GetEnvironment));
        checks.Add(await HostChecks.ServerAsync(DefaultApiAddress.ForClient(host, console.GetEnvironment), cancellationToken));

        var backends = new JsonArray();
        var registry = BackendCatalog.ForHost(config.Configuration ?? RuntimeConfiguration.Empty, directories, NullLoggerFactory.Instance, HostImageStore.Open(directories));
        foreach (var backend in registry.All)
        {
            var health = await registry.ProbeAsync(backend, cancellationToken);
            checks.Add(health.Usable
                ? new HostCheck($"backend {backend.Name}", CheckOutcome.Pass, "usable (a real probe succeeded)")
                : new HostCheck($"backend {backend.Name}", CheckOutcome.Fail, health.Reason ?? "unusable", "see the reason; 'cleanroom doctor' again after fixing"));
            var entry = new JsonObject
            {
                ["name"] = backend.Name,
                ["usable"] = health.Usable,
                ["reason"] = health.Reason,
                ["capabilities"] = JsonNode.Parse(backend.Capabilities.ToJson()),
            };
            if (backend is QemuBackend { Accelerator: { } accelerator })
            {
                var name = accelerator.Accelerator.ToString().ToLowerInvariant();
                entry["accelerator"] = name;
                entry["accelerator_reason"] = accelerator.Reason;
                checks.Add(new HostCheck("qemu accelerator", accelerator.Accelerated ? CheckOutcome.Pass : CheckOutcome.Warn,
                    $"{name}: {accelerator.Reason}", accelerator.Accelerated ? null : "VMs are emulated (slower); set backends.qemu.kernel to a kernel this host's KVM can boot"));
            }
            if (backend is GvisorBackend { Platform: { } platform } gvisor)
            {
                entry["platform"] = platform.Platform;
                entry["platform_reason"] = platform.Reason;
                entry["runsc_version"] = gvisor.RunscVersion;
                checks.Add(new HostCheck("gvisor platform", platform.Degraded ? CheckOutcome.Warn : CheckOutcome.Pass,
                    $"{platform.Platform}: {platform.Reason} ({gvisor.RunscVersion})",
                    platform.Degraded ? "system calls are slower under ptrace; scripts/setup.sh installs a runsc with systrap (bookworm-backports)" : null));
            }

            // The JsonNode overload: the generic Add<T> is marked as needing reflection (unavailable under NativeAOT).
            backends.Add((JsonNode)entry);
        }

        var configured = config.Configuration?.DefaultBackend;
        var chosen = configured ?? await BackendCatalog.ChooseDefaultAsync(registry, cancellationToken);
        checks.Add(new HostCheck("default backend", CheckOutcome.Pass, configured is not null
            ? $"{chosen} (default_backend in the runtime config)"
            : $"{chosen} (qemu when KVM works here, else gvisor; emulated qemu only when asked for with --backend qemu)"));


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
                ["default_backend"] = chosen,
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
