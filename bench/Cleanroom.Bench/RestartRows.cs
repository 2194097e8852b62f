using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.HostProcesses;
using Cleanroom.Policy;

namespace Cleanroom.Bench;

/// <summary>
/// A server restart after <c>kill -9</c>, timed from <c>serve --detach</c> until it answers (it returns once the
/// server serves, i.e. after restart reconciliation): with N READY sandboxes to re-adopt, against the same restart
/// with none, in the same run. Both include the server's start-up probes, so the difference is the re-adoption.
/// </summary>
internal sealed class RestartRows(Report report, string cleanroom, CompiledPolicy policy, int runs)
{
    public async Task MeasureAsync(GvisorServer server, int sandboxes)
    {
        // bench/run.sh lays each server out as ROOT/{run,state,config}; the socket is ROOT/run/cleanroom/cleanroom.sock.
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(server.Socket)))!;
        var empty = await TimeRestartsAsync(root, $"restart, no sandboxes");

        using (var client = new CleanroomClient(new UnixApiAddress(server.Socket)))
        {
            var ids = new List<string>();
            for (var i = 0; i < sandboxes; i++)
            {
                ids.Add((await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
                {
                    PolicyJson = policy.CanonicalJson,
                    PolicyHash = policy.PolicyHash,
                })).Sandbox.SandboxId);
            }
            var full = await TimeRestartsAsync(root, $"restart, {sandboxes} READY sandboxes re-adopted");
            using var after = new CleanroomClient(new UnixApiAddress(server.Socket));
            foreach (var id in ids)
            {
                var sandbox = (await after.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = id })).Sandbox;
                if (sandbox.Status != SandboxStatus.Ready)
                    throw new InvalidOperationException($"sandbox {id} is {sandbox.Status} after the restarts, not READY");
                await after.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = id });
            }
            report.Compare($"server restart after kill -9 to answering, {sandboxes} READY sandboxes (median of {runs})", full, empty, target: "-", server.Platform);
        }
    }

    private async Task<Measurement> TimeRestartsAsync(string root, string name)
    {
        var samples = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            KillServer(root);
            var clock = Stopwatch.StartNew();
            await ServeDetachedAsync(root);
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return new Measurement(name, samples);
    }

    private static void KillServer(string root)
    {
        foreach (var pid in ServerPids(root))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit();
        }
    }

    private static IEnumerable<int> ServerPids(string root) =>
        ProcessTable.All().Where(p => string.Join('\0', p.Argv).Contains($"ready-on-stdout\0{root}/", StringComparison.Ordinal)).Select(p => p.Pid);

    private async Task ServeDetachedAsync(string root)
    {
        var start = new ProcessStartInfo(cleanroom) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--detach");
        start.Environment["XDG_RUNTIME_DIR"] = Path.Combine(root, "run");
        start.Environment["XDG_STATE_HOME"] = Path.Combine(root, "state");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(root, "config");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"serve --detach exited {process.ExitCode}: {await stderr}");
    }
}
