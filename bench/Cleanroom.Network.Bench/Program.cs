// Egress enforcement benchmark. Both paths are namespace -> host (routing) -> upstream namespace over
// veths; the enforced one adds the sandbox's nftables chains, conntrack and masquerade.
// `setup [RUNS]` instead times making and removing a sandbox network.
using System.Net;
using Cleanroom.Network.Tests;

if (args.Length > 0 && args[0] == "setup")
{
    var setupWorld = new EgressWorld();
    await setupWorld.InitializeAsync();
    try
    {
        await SetupTiming.RunAsync(setupWorld, args.Length > 1 ? int.Parse(args[1]) : 30);
    }
    finally
    {
        await setupWorld.DisposeAsync();
    }
    return;
}

var connects = args.Length > 0 ? int.Parse(args[0]) : 500;
var megabytes = args.Length > 1 ? int.Parse(args[1]) : 2000;
var rounds = args.Length > 2 ? int.Parse(args[2]) : 3;

var world = new EgressWorld();
await world.InitializeAsync();
UpstreamHost? plain = null;
try
{
    plain = await UpstreamHost.CreateAsync(world.Run, 3);
    await using var sandbox = await world.CreateSandboxAsync(
        (world.Api.Address.ToString(), EgressWorld.EchoPort), (world.Api.Address.ToString(), EgressWorld.SinkPort));
    var paths = new (string Name, EgressProbe Probe)[]
    {
        ("unfiltered namespace", new EgressProbe(new NsenterWorkloadRunner(plain.NamespacePath))),
        ("enforced sandbox", new EgressProbe(new NsenterWorkloadRunner(sandbox.NamespacePath))),
    };
    var target = world.Api.Address.ToString();
    for (var round = 1; round <= rounds; round++)
        foreach (var (name, probe) in paths)
        {
            var connect = await probe.RunReportAsync("bench-connect", target, EgressWorld.EchoPort.ToString(), connects.ToString());
            var throughput = await probe.RunReportAsync("bench-throughput", target, EgressWorld.SinkPort.ToString(), megabytes.ToString());
            Console.WriteLine($"round {round} {name,-22} {connect} | {throughput}");
        }
}
finally
{
    if (plain is not null)
        await plain.DisposeAsync();
    await world.DisposeAsync();
}
