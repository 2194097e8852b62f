using System.Diagnostics;
using System.Text.Json.Nodes;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging.Abstractions;
using Cleanroom.Policy;

namespace Cleanroom.Bench;

/// <summary>
/// How many idle sandboxes the host holds: N sandboxes made one after another on one server, the create latency as
/// the count grows (the first ten against the last ten), and the memory one idle sandbox costs (PSS of its runsc
/// processes, plus its share of the server's growth) against a raw runsc container that only sleeps (same platform,
/// same overlay medium), measured in the same run.
/// </summary>
internal sealed class DensityRows(Report report, CompiledPolicy policy)
{
    private const int RawContainers = 10;

    public async Task MeasureAsync(GvisorServer server, int count)
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(server.Socket)))!;
        var runscRoot = $"--root={Path.Combine(root, "run", "cleanroom", "runsc")}";
        var serverMarker = $"ready-on-stdout\0{root}/";
        var raw = await RawContainerMiBAsync(server.Platform);

        using var client = new CleanroomClient(new UnixApiAddress(server.Socket));
        var serverBefore = ProcessMemory.PssMiB(serverMarker);
        var availableBefore = ProcessMemory.AvailableMiB();
        var ids = new List<string>(count);
        var latencies = new List<double>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                ids.Add((await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson, PolicyHash = policy.PolicyHash })).Sandbox.SandboxId);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            var sandboxes = ProcessMemory.PssMiB(runscRoot) / count;
            var serverShare = (ProcessMemory.PssMiB(serverMarker) - serverBefore) / count;
            var available = (availableBefore - ProcessMemory.AvailableMiB()) / count;
            var perSandbox = sandboxes + serverShare;
            report.Cell($"idle sandbox memory ({count} sandboxes; PSS of runsc's processes + the server's growth)", "-", server.Platform,
                $"{perSandbox:0.0} MiB ({sandboxes:0.0} runsc + {serverShare:0.0} server; MemAvailable fell {available:0.0} MiB each); "
                + $"raw runsc container sleeping: {raw:0.0} MiB; {perSandbox / raw:0.00}x");
            report.Cell("idle sandboxes per GiB of host memory", "-", server.Platform,
                $"{1024 / perSandbox:0.0} (raw runsc: {1024 / raw:0.0}); MemAvailable: {1024 / available:0.0}");
            report.Compare($"create latency as the count grows: sandboxes {count - 9}-{count} against 1-10",
                new Measurement($"{count - 9}-{count}", latencies.TakeLast(10).ToList()), new Measurement("1-10", latencies.Take(10).ToList()), target: "-", server.Platform);
        }
        finally
        {
            await Task.WhenAll(ids.Select(id => client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = id }).ResponseAsync));
        }
    }

    /// <summary>PSS of one raw runsc container (busybox-static sleeping, the average of ten), under a root of its own.</summary>
    private static async Task<double> RawContainerMiBAsync(string platform)
    {
        var directory = Directory.CreateTempSubdirectory("cleanroom-bench-raw-").FullName;
        var runscRoot = Path.Combine(directory, "runsc");
        var ids = new List<string>();
        try
        {
            var bundle = Directory.CreateDirectory(Path.Combine(directory, "bundle")).FullName;
            var rootfs = Directory.CreateDirectory(Path.Combine(bundle, "rootfs")).FullName;
            File.Copy("/bin/busybox", Path.Combine(rootfs, "busybox"));
            await Commands.RunAsync("runsc", "spec", "--bundle", bundle, "--", "/busybox", "sleep", "100000");
            var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")))!;
            config["process"]!["terminal"] = false;
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString());
            var upper = Directory.CreateDirectory(Path.Combine(directory, "upper")).FullName;
            for (var i = 0; i < RawContainers; i++)
            {
                var id = $"cleanroom-bench-raw-{Environment.ProcessId}-{i}";
                // Detached like the product's own start: the container keeps runsc's stdio open for its life, so no
                // pipe of ours may be among them (a read to their end would never finish).
                var run = DetachedProgram.Start(
                    ["runsc", $"--root={runscRoot}", $"--platform={platform}", "--network=none", $"--overlay2=root:dir={upper}", "run", "--detach", "--bundle", bundle, id],
                    Path.Combine(directory, "runsc.stderr"), readinessPipe: false, NullLogger.Instance, "bench");
                ids.Add(id);
                if (await run.Exited != 0)
                    throw new InvalidOperationException($"raw runsc run --detach exited {await run.Exited}: {File.ReadAllText(Path.Combine(directory, "runsc.stderr"))}");
            }
            return ProcessMemory.PssMiB($"--root={runscRoot}") / RawContainers;
        }
        finally
        {
            foreach (var id in ids)
                await Commands.OutputAsync(check: false, "runsc", $"--root={runscRoot}", "delete", "--force", id);
            Directory.Delete(directory, recursive: true);
        }
    }
}
