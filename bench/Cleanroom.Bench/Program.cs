using Cleanroom.Bench;
using Cleanroom.Policy;

// usage: Cleanroom.Bench CLEANROOM_BINARY POLICY_DIR [RUNS] --phase cold|warm --server PLATFORM=SOCKET [--server ...]
//        [--checkout DIR] [--only qemu|exec|sessions|restart|density|suspend|transport]
// Expects one server per gVisor platform (bench/run.sh starts them per phase, each with its platform named in its
// runtime config): "cold" with the warm pool off (every sandbox starts from nothing), "warm" with the defaults
// (warm_pool size 1). Each gVisor row is measured on every platform in turn and printed side by side; every figure is
// compared with a baseline measured in the same run, on the same machine, at the same moment. --only qemu: the qemu
// row alone; --only exec: exec on a ready sandbox and throughput alone; --only sessions: stdin round trip and
// throughput, and TCP through an exposure; --only restart: a restart after kill -9 with 10 READY sandboxes against one
// with none (also part of the cold phase, where no spare exists to blur it); --only density: RUNS idle sandboxes on
// each server (memory per sandbox against a raw runsc container, create latency as the count grows).
var (cleanroom, policyDir) = (args[0], args[1]);
var runs = args.Length > 2 && int.TryParse(args[2], out var n) ? n : 10;
var onlyQemu = Option("--only") == "qemu";
var onlyExec = Option("--only") == "exec";
var onlySessions = Option("--only") == "sessions";
var onlyRestart = Option("--only") == "restart";
var onlyDensity = Option("--only") == "density";
var onlySuspend = Option("--only") == "suspend";
var warm = Option("--phase") == "warm";
// A directory inside a git checkout: the same command there also materialises the checkout's HEAD in the sandbox.
var checkout = Option("--checkout");
if (Option("--only") == "transport")
{
    // Starts its own servers (an https listener with OIDC, OTLP export on and off): bench/run.sh --only transport.
    var transport = new Report("API transport and telemetry overhead (the bench's own servers, warm pool off)", []);
    await new ApiTransportRows(transport, cleanroom, policyDir, PolicyLoader.Load(policyDir).Result.Policy!, runs).MeasureAsync();
    transport.Print();
    return;
}

var servers = args.Select((a, i) => (a, i)).Where(p => p.a == "--server" && p.i + 1 < args.Length)
    .Select(p => GvisorServer.Parse(args[p.i + 1])).ToArray();
if (servers.Length == 0)
    throw new ArgumentException("name at least one server: --server PLATFORM=SOCKET");

var policy = PolicyLoader.Load(policyDir).Result.Policy ?? throw new InvalidOperationException($"no valid policy under {policyDir}");
var report = new Report(warm ? "defaults: warm pool on (warm_pool size 1)" : "cold start: warm pool off (warm_pool size 0)", servers.Select(s => s.Platform));
var gvisor = new GvisorRows(report, cleanroom, policyDir, checkout, runs, policy);

if (onlySuspend)
{
    // Suspend and resume need servers on gVisor's own network stack (bench/run.sh --only suspend): alone, like density.
    var suspend = new SuspendRows(report, policy, runs);
    foreach (var server in servers)
        await suspend.MeasureAsync(server);
    report.Print();
    return;
}

if (!onlyQemu && !onlyExec && !onlySessions && !onlyRestart && !onlyDensity)
{
    foreach (var server in servers)
        await (warm ? gvisor.WarmAsync(server) : gvisor.ColdAsync(server));
}

if (onlyDensity)
{
    // Idle sandboxes: many at once, so it runs alone (bench/run.sh N --only density), never beside the timed rows.
    var density = new DensityRows(report, policy);
    foreach (var server in servers)
        await density.MeasureAsync(server, count: runs);
}

if ((!onlyQemu && !onlyExec && !onlySessions && !onlyDensity && !warm) || onlyRestart)
{
    var restarts = new RestartRows(report, cleanroom, policy, runs: Math.Min(runs, 5));
    foreach (var server in servers)
        await restarts.MeasureAsync(server, sandboxes: 10);
}

if ((!onlyQemu && !onlyRestart && !onlyDensity && warm) || onlyExec)
{
    foreach (var server in servers)
        await gvisor.ExecAndThroughputAsync(server);
}

if ((!onlyQemu && !onlyExec && !onlyRestart && !onlyDensity && warm) || onlySessions)
{
    var sessions = new LiveSessionRows(report, roundTrips: 1000, policy);
    foreach (var server in servers)
        await sessions.MeasureAsync(server);
}

// The same for a qemu microVM (on the first server), against QEMU booting the same kernel on the same machine with an
// init that exits at once. Last: an idle VM under emulation keeps a core busy, and a spare of another spec is torn
// down when the spec changes, so the rows above run before any VM exists.
servers[0].Select();
if (onlyRestart || onlyDensity)
{
    // nothing else
}
else if (onlyQemu || (!onlyExec && !onlySessions && !warm))
    await QemuRow.MeasureAsync(report, cleanroom, policyDir, runs, label: onlyQemu ? "" : ", cold");
else if (!onlyExec && !onlySessions)
    await QemuRow.MeasureAsync(report, cleanroom, policyDir, runs, TimeSpan.FromSeconds(2), ", warm pool, runs 2 s apart");

report.Print();

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
