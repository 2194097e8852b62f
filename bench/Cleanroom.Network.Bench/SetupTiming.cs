using System.Diagnostics;
using Cleanroom.Network;
using Cleanroom.Network.Tests;

/// <summary>
/// How long a sandbox network takes to make and to remove (namespace, link, addresses, routes, firewall,
/// resolver; then all of it gone), n times in a row with the same rules, against the test world's server.
/// </summary>
internal static class SetupTiming
{
    public static async Task RunAsync(EgressWorld world, int runs)
    {
        var prepare = new List<double>();
        var open = new List<double>();
        var create = new List<double>();
        var teardown = new List<double>();
        var rules = EgressWorld.Rules(("api.test", EgressWorld.EchoPort), (world.Api.Address.ToString(), EgressWorld.SinkPort));
        for (var i = 0; i < runs + 1; i++)
        {
            var clock = Stopwatch.StartNew();
            var network = await world.Networks.PrepareAsync(EgressWorld.NewSandboxId(), "execution", rules, false, CancellationToken.None);
            var prepared = clock.Elapsed.TotalMilliseconds;
            await network.OpenAsync(CancellationToken.None);
            var made = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            await network.DisposeAsync();
            if (i == 0)
                continue; // the first run pays for JIT and first-use costs
            prepare.Add(prepared);
            open.Add(made - prepared);
            create.Add(made);
            teardown.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"network create   {Describe(create)}");
        Console.WriteLine($"  prepare (namespace, link, addresses, route) {Describe(prepare)}");
        Console.WriteLine($"  open (firewall, link up, resolver)          {Describe(open)}");
        Console.WriteLine($"network teardown {Describe(teardown)}");
        Console.WriteLine($"stage switch     {Describe(await StageSwitchesAsync(world, runs))}");
    }

    /// <summary>
    /// One sandbox network moved from stage to stage (two rule sets in turn), each move being what a setup does between
    /// two blocks' stages: the allow set and the forward chain replaced in one transaction, the resolver's rules swapped.
    /// </summary>
    private static async Task<List<double>> StageSwitchesAsync(EgressWorld world, int runs)
    {
        var dependencies = EgressWorld.Rules(("api.test", EgressWorld.EchoPort), (world.Api.Address.ToString(), EgressWorld.SinkPort));
        var execution = EgressWorld.Rules(("other.test", EgressWorld.EchoPort));
        await using var network = await world.Networks.CreateAsync(EgressWorld.NewSandboxId(), "repository", [], false, CancellationToken.None);
        var samples = new List<double>();
        for (var i = 0; i < runs + 1; i++)
        {
            var (stage, rules) = i % 2 == 0 ? ("dependencies", dependencies) : ("execution", execution);
            var clock = Stopwatch.StartNew();
            await network.ApplyStageAsync(stage, rules, CancellationToken.None);
            if (i > 0)
                samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return samples;
    }

    private static string Describe(List<double> samples)
    {
        samples.Sort();
        double At(double q) => samples[(int)Math.Min(samples.Count - 1, Math.Round(q * (samples.Count - 1)))];
        return $"n={samples.Count} median {At(0.5):F1} ms, p10 {At(0.1):F1} ms, p90 {At(0.9):F1} ms";
    }
}
