using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Client;
using Cleanroom.Api.V1;
using Cleanroom.Bench;
using Cleanroom.Policy;

// usage: Cleanroom.Bench CLEANROOM_BINARY SOCKET POLICY_DIR [RUNS] [--only qemu]   (--only qemu: the qemu row alone)
// Expects a server on SOCKET (bench/run.sh starts one). Every figure is compared with a baseline measured
// in the same run, on the same machine, at the same moment.
var (cleanroom, socket, policyDir) = (args[0], args[1], args[2]);
var runs = args.Length > 3 && int.TryParse(args[3], out var n) ? n : 10;
var onlyQemu = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault() == "qemu";
// A directory inside a git checkout: the same command there also materialises the checkout's HEAD in the sandbox.
var checkout = args.SkipWhile(a => a != "--checkout").Skip(1).FirstOrDefault();
var host = "unix://" + socket;
Environment.SetEnvironmentVariable("CLEANROOM_HOST", host);

using var client = new CleanroomClient(new UnixApiAddress(socket));
var policy = PolicyLoader.Load(policyDir).Result.Policy ?? throw new InvalidOperationException($"no valid policy under {policyDir}");
var report = new Report();

if (!onlyQemu)
{
    // 1. Time to interactive: a new sandbox, one command, gone again — from the CLI a user types.
    var tti = await Measurement.TimeAsync("cleanroom exec --rm -- true", runs,
        () => Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", policyDir, "--", "true"));
    var rawRunsc = await Measurement.TimeAsync("runsc --network=none do true", runs,
        () => Commands.RunAsync("runsc", "--platform=ptrace", "--network=none", "do", "true"));
    report.Compare("time to interactive", tti, rawRunsc, target: "<= 1.3x");
    if (checkout is not null)
    {
        var inCheckout = await Measurement.TimeAsync("cleanroom exec --rm -- true in this repository's checkout", runs,
            () => Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", checkout, "--", "true"));
        report.Compare("time to interactive in a git checkout (HEAD materialised)", inCheckout, rawRunsc, target: "-");
    }
}

// 1b. The same for a qemu microVM, against QEMU booting the same kernel on the same machine with an init that exits at once.
await QemuRow.MeasureAsync(report, cleanroom, policyDir, runs);

if (!onlyQemu)
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

report.Print();

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
