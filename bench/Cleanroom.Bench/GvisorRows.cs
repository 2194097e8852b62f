using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Policy;

namespace Cleanroom.Bench;

/// <summary>
/// The gVisor rows, each measured against one server (one platform) with its baseline on the same platform in the
/// same minute: raw <c>runsc --platform=P --network=none do true</c> for time to interactive, <c>sh -c true</c> on
/// the host for exec, and for throughput the host's pipe and the sandbox's own pipe.
/// </summary>
internal sealed class GvisorRows(Report report, string cleanroom, string policyDir, string? checkout, int runs, CompiledPolicy policy)
{
    private const string ExecName = "cleanroom exec --rm -- true";
    // Commands arriving a second apart (an agent's pace) let the pool's next spare start between them; back to back,
    // each run finds the spare still starting (the server's own throughput, not a user's wait).
    private static readonly TimeSpan Apart = TimeSpan.FromSeconds(1);

    /// <summary>Time to interactive with the warm pool off: every sandbox from nothing.</summary>
    public async Task ColdAsync(GvisorServer server)
    {
        server.Select();
        var (tti, raw) = await Measurement.TimeAlternatingAsync(ExecName, Exec(policyDir), RawName(server), RawRunsc(server), runs);
        report.Compare("time to interactive, cold", tti, raw, target: "<= 1.3x", server.Platform);
        if (checkout is not null)
        {
            var (inCheckout, raw2) = await Measurement.TimeAlternatingAsync($"{ExecName} in this repository's checkout", Exec(checkout), RawName(server), RawRunsc(server), runs);
            report.Compare("time to interactive in a git checkout (HEAD materialised), cold", inCheckout, raw2, target: "-", server.Platform);
        }
    }

    /// <summary>Time to interactive with the defaults (a spare taken from the warm pool).</summary>
    public async Task WarmAsync(GvisorServer server)
    {
        server.Select();
        var (tti, raw) = await Measurement.TimeAlternatingAsync(ExecName, Exec(policyDir), RawName(server), RawRunsc(server), runs, Apart);
        report.Compare("time to interactive, warm pool, runs 1 s apart", tti, raw, target: "<= 1.3x", server.Platform);
        var (burst, raw2) = await Measurement.TimeAlternatingAsync(ExecName, Exec(policyDir), RawName(server), RawRunsc(server), runs);
        report.Compare("time to interactive, warm pool, back to back", burst, raw2, target: "-", server.Platform);
    }

    /// <summary>Exec on a READY sandbox (the API round trip and the CLI), then 1 GiB of stdout through agent, server and API.</summary>
    public async Task ExecAndThroughputAsync(GvisorServer server)
    {
        server.Select();
        using var client = new CleanroomClient(new UnixApiAddress(server.Socket));
        var sandboxId = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
        {
            PolicyJson = policy.CanonicalJson,
            PolicyHash = policy.PolicyHash,
        })).Sandbox.SandboxId;
        try
        {
            var apiExec = await Measurement.TimeAsync("API exec true (ready sandbox)", runs * 3, () => ExecuteAsync(client, sandboxId, ["true"], _ => { }));
            var cliExec = await Measurement.TimeAsync("cleanroom exec --in ID -- true", runs, () => Commands.RunAsync(cleanroom, "exec", "--in", sandboxId, "--", "true"));
            var hostShell = await Measurement.TimeAsync("sh -c true on the host", runs * 3, () => Commands.RunAsync("sh", "-c", "true"));
            report.Compare("exec on a ready sandbox (API)", apiExec, hostShell, target: "< 25 ms", server.Platform);
            report.Compare("exec on a ready sandbox (CLI process)", cliExec, hostShell, target: "-", server.Platform);

            const long bytes = 1L << 30;
            var hostClock = Stopwatch.StartNew();
            await Commands.RunAsync("sh", "-c", $"head -c {bytes} /dev/zero > /dev/null");
            var hostPipe = bytes / hostClock.Elapsed.TotalSeconds / 1e6;

            // Two producers: GNU head writes 8 KiB at a time, so inside gVisor the workload's own system calls bound it
            // (the sandbox's own pipe shows that ceiling); dd with 1 MiB blocks leaves the bound to Cleanroom's path.
            // Each is compared with the same producer drained by cat through a pipe that never leaves the sandbox.
            foreach (var (name, producer) in new[]
            {
                ("head -c 1G", $"head -c {bytes} /dev/zero"),
                ("dd bs=1M", $"dd if=/dev/zero bs=1M count={bytes >> 20} status=none"),
            })
            {
                long received = 0;
                var clock = Stopwatch.StartNew();
                await ExecuteAsync(client, sandboxId, ["sh", "-c", $"exec {producer}"], chunk => received += chunk);
                var seconds = clock.Elapsed.TotalSeconds;
                if (received != bytes)
                    throw new InvalidOperationException($"received {received} bytes of {bytes} from {producer}");

                var insideClock = Stopwatch.StartNew();
                await ExecuteAsync(client, sandboxId, ["sh", "-c", $"{producer} | cat > /dev/null"], _ => { });
                var inside = bytes / insideClock.Elapsed.TotalSeconds / 1e6;
                report.Throughput($"stdout throughput, 1 GiB from {name} through agent, server and API", bytes / seconds / 1e6, inside,
                    target: ">= 200 MB/s", server.Platform, baseline: $"{name} | cat inside the sandbox (host pipe {hostPipe:0} MB/s)");
            }
        }
        finally
        {
            await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId });
        }
    }

    private Func<Task> Exec(string directory) => () => Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", directory, "--", "true");

    private static Func<Task> RawRunsc(GvisorServer server) =>
        () => Commands.RunAsync("runsc", $"--platform={server.Platform}", "--network=none", "do", "true");

    private static string RawName(GvisorServer server) => $"runsc --platform={server.Platform} --network=none do true";

    /// <summary>An API exec of <c>true</c> in a READY sandbox, to its end.</summary>
    public static Task ExecuteTrueAsync(CleanroomClient client, string sandboxId) => ExecuteAsync(client, sandboxId, ["true"], _ => { });

    private static async Task ExecuteAsync(CleanroomClient client, string sandboxId, string[] command, Action<int> onStdout)
    {
        var request = new CreateExecutionRequest { SandboxId = sandboxId };
        request.Command.AddRange(command);
        var execution = (await client.Executions.CreateExecutionAsync(request)).Execution;
        using var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = execution.ExecutionId, Follow = true });
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            var item = stream.ResponseStream.Current;
            onStdout(item.Stdout.Length);
            if (item.Exit is { } exit && exit.Status != ExecutionStatus.Succeeded)
                throw new InvalidOperationException($"{string.Join(' ', command)} ended {exit.Status}: {exit.Message}");
        }
    }
}
