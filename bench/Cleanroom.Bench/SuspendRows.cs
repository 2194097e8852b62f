using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.Policy;

namespace Cleanroom.Bench;

/// <summary>
/// Suspend and resume of one gVisor sandbox with a background process (RPC to answer, median of RUNS), the resume
/// against a cold create of the same spec in the same run, and the memory (PSS) its processes hold before a suspend
/// against while suspended. Needs servers whose gVisor sandboxes use gVisor's own network stack (bench/run.sh
/// --only suspend configures them so).
/// </summary>
internal sealed class SuspendRows(Report report, CompiledPolicy policy, int runs)
{
    public async Task MeasureAsync(GvisorServer server)
    {
        using var client = new CleanroomClient(new UnixApiAddress(server.Socket));
        var creates = new List<double>(runs);
        var suspends = new List<double>(runs);
        var resumes = new List<double>(runs);
        for (var i = 0; i < Math.Max(1, runs / 2); i++)
        {
            var clock = Stopwatch.StartNew();
            var coldId = await CreateAsync(client);
            creates.Add(clock.Elapsed.TotalMilliseconds);
            await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = coldId });
        }

        var id = await CreateAsync(client);
        var execution = new CreateExecutionRequest { SandboxId = id };
        execution.Command.AddRange(["sh", "-c", "sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done' > /dev/null 2>&1 &"]);
        var started = (await client.Executions.CreateExecutionAsync(execution)).Execution;
        using (var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = started.ExecutionId, Follow = true }))
        {
            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }
        var marker = "cleanroom-" + id;
        var before = ProcessMemory.PssMiB(marker);
        var during = 0.0;
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await client.Sandboxes.SuspendSandboxAsync(new SuspendSandboxRequest { SandboxId = id });
            suspends.Add(clock.Elapsed.TotalMilliseconds);
            during = Math.Max(during, ProcessMemory.PssMiB(marker));
            clock.Restart();
            await client.Sandboxes.ResumeSandboxAsync(new ResumeSandboxRequest { SandboxId = id });
            resumes.Add(clock.Elapsed.TotalMilliseconds);
        }
        await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = id });

        var cold = new Measurement("cold create to READY", creates);
        report.Compare($"suspend (SuspendSandbox to answer), median of {runs}", new Measurement("suspend", suspends), cold, target: "-", server.Platform);
        report.Compare($"resume (ResumeSandbox to READY), median of {runs}", new Measurement("resume", resumes), cold, target: "-", server.Platform);
        report.Cell("memory of one idle sandbox's processes (PSS): running vs suspended", "0 when suspended", server.Platform,
            $"{before:0.0} MiB running; {during:0.0} MiB suspended");
    }

    private async Task<string> CreateAsync(CleanroomClient client) =>
        (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson, PolicyHash = policy.PolicyHash })).Sandbox.SandboxId;
}
