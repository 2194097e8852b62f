using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Client;
using Cleanroom.Api.V1;
using Cleanroom.Bench;
using Cleanroom.Policy;

// usage: Cleanroom.Bench CLEANROOM_BINARY SOCKET POLICY_DIR [RUNS] --phase cold|warm [--checkout DIR] [--only qemu|exec]
// Expects a server on SOCKET (bench/run.sh starts one per phase): "cold" with the warm pool off (every sandbox
// starts from nothing), "warm" with the defaults (warm_pool size 1). Every figure is compared with a baseline
// measured in the same run, on the same machine, at the same moment. --only qemu: the qemu row alone; --only exec:
// exec on a ready sandbox and throughput alone; --only tti: the time-to-interactive rows alone (no checkout, qemu or exec rows).
var (cleanroom, socket, policyDir) = (args[0], args[1], args[2]);
var runs = args.Length > 3 && int.TryParse(args[3], out var n) ? n : 10;
var onlyQemu = Option("--only") == "qemu";
var onlyExec = Option("--only") == "exec";
var onlyTti = Option("--only") == "tti";
var warm = Option("--phase") == "warm";
// A directory inside a git checkout: the same command there also materialises the checkout's HEAD in the sandbox.
var checkout = Option("--checkout");
var host = "unix://" + socket;
Environment.SetEnvironmentVariable("CLEANROOM_HOST", host);

using var client = new CleanroomClient(new UnixApiAddress(socket));
var policy = PolicyLoader.Load(policyDir).Result.Policy ?? throw new InvalidOperationException($"no valid policy under {policyDir}");
var report = new Report(warm ? "defaults: warm pool on (warm_pool size 1)" : "cold start: warm pool off (warm_pool size 0)");
// Time to interactive: a new sandbox, one command, gone again, from the CLI a user types, against raw runsc.
Func<Task> exec = () => Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", policyDir, "--", "true");
Func<Task> rawRunsc = () => Commands.RunAsync("runsc", "--platform=ptrace", "--network=none", "do", "true");
const string execName = "cleanroom exec --rm -- true", runscName = "runsc --network=none do true";
// Commands arriving a second apart (an agent's pace) let the pool's next spare start between them; back to back,
// each run finds the spare still starting (the server's own throughput, not a user's wait).
var apart = TimeSpan.FromSeconds(1);

if (!onlyQemu && !onlyExec && !warm)
{
    var (tti, raw) = await Measurement.TimeAlternatingAsync(execName, exec, runscName, rawRunsc, runs);
    report.Compare("time to interactive, cold", tti, raw, target: "<= 1.3x");
    if (checkout is not null && !onlyTti)
    {
        var (inCheckout, raw2) = await Measurement.TimeAlternatingAsync($"{execName} in this repository's checkout",
            () => Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", checkout, "--", "true"), runscName, rawRunsc, runs);
        report.Compare("time to interactive in a git checkout (HEAD materialised), cold", inCheckout, raw2, target: "-");
    }
}

if (!onlyQemu && !onlyExec && warm)
{
    var (tti, raw) = await Measurement.TimeAlternatingAsync(execName, exec, runscName, rawRunsc, runs, apart);
    report.Compare("time to interactive, warm pool, runs 1 s apart", tti, raw, target: "<= 1.3x");
    var (burst, raw2) = await Measurement.TimeAlternatingAsync(execName, exec, runscName, rawRunsc, runs);
    report.Compare("time to interactive, warm pool, back to back", burst, raw2, target: "-");
}

if (((!onlyQemu && warm) || onlyExec) && !onlyTti)
{
    // 2. Exec on a READY sandbox: the API round trip (create execution, stream to its exit) and the CLI.
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
        report.Compare("exec on a ready sandbox (API)", apiExec, hostShell, target: "< 25 ms");
        report.Compare("exec on a ready sandbox (CLI process)", cliExec, hostShell, target: "-");

        // 3. Output throughput: 1 GiB of stdout through the agent, the server and the API.
        const long bytes = 1L << 30;
        long received = 0;
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(client, sandboxId, ["head", "-c", bytes.ToString(), "/dev/zero"], chunk => received += chunk);
        var seconds = clock.Elapsed.TotalSeconds;
        if (received != bytes)
        {
            throw new InvalidOperationException($"received {received} bytes of {bytes}");
        }

        var hostClock = Stopwatch.StartNew();
        await Commands.RunAsync("sh", "-c", $"head -c {bytes} /dev/zero > /dev/null");
        report.Throughput("stdout throughput (1 GiB)", bytes / seconds / 1e6, bytes / hostClock.Elapsed.TotalSeconds / 1e6, target: ">= 200 MB/s");

        // The ceiling inside the sandbox itself: the same producer drained by cat through a pipe that never leaves gVisor.
        // Under the ptrace platform every system call is a round trip through the sentry, so this bounds any reader.
        var insideClock = Stopwatch.StartNew();
        await ExecuteAsync(client, sandboxId, ["sh", "-c", $"head -c {bytes} /dev/zero | cat > /dev/null"], _ => { });
        report.Throughput("stdout throughput vs the sandbox's own pipe", bytes / seconds / 1e6, bytes / insideClock.Elapsed.TotalSeconds / 1e6,
            target: "-", baseline: "head | cat inside the sandbox");
    }
    finally
    {
        await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId });
    }
}

// The same for a qemu microVM, against QEMU booting the same kernel on the same machine with an init that exits at once.
// Last: an idle VM under emulation keeps a core busy, and a spare of another spec is torn down when the spec changes,
// so the rows above run before any VM exists.
if (onlyTti)
{
    // the time-to-interactive rows only
}
else if (onlyQemu || (!onlyExec && !warm))
    await QemuRow.MeasureAsync(report, cleanroom, policyDir, runs, label: onlyQemu ? "" : ", cold");
else if (!onlyExec)
    await QemuRow.MeasureAsync(report, cleanroom, policyDir, runs, TimeSpan.FromSeconds(2), ", warm pool, runs 2 s apart");

report.Print();

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static async Task ExecuteAsync(CleanroomClient client, string sandboxId, string[] command, Action<int> onStdout)
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
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} ended {exit.Status}: {exit.Message}");
        }
    }
}
