using System.Globalization;
using System.Net;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The probe program (tests/Cleanroom.Network.Probe) driven through an <see cref="IWorkloadRunner"/>:
/// each method tries one access from inside the sandbox and says whether it got through.
/// </summary>
public sealed class EgressProbe(IWorkloadRunner runner)
{
    /// <summary>The probe on the host: the dotnet host and the probe's dll, built next to the tests.</summary>
    public static IReadOnlyList<string> ManagedCommand { get; } = [DotnetHost(), Path.Combine(AppContext.BaseDirectory, "Cleanroom.Network.Probe.dll")];

    public async Task<bool> TcpAsync(IPAddress address, int port, int timeoutMs = 1500, IPAddress? source = null) =>
        (await RunAsync(["tcp", address.ToString(), Port(port), "--timeout", Port(timeoutMs), .. Source(source)])).ExitCode == 0;

    public async Task<bool> UdpAsync(IPAddress address, int port, int timeoutMs = 1500) =>
        (await RunAsync(["udp", address.ToString(), Port(port), "--timeout", Port(timeoutMs)])).ExitCode == 0;

    public async Task<bool> PingAsync(IPAddress address, int timeoutMs = 1500) =>
        (await RunAsync(["ping", address.ToString(), "--timeout", Port(timeoutMs)])).ExitCode == 0;

    /// <summary>Whether an ICMP socket (raw or datagram) can be opened where the probe runs, and the probe's <c>raw=… dgram=…</c> line.</summary>
    public async Task<(bool Opened, string Report)> IcmpSocketsAsync()
    {
        var result = await RunAsync(["icmp-sockets"]);
        return (result.ExitCode == 0, result.Stdout.Trim());
    }

    /// <summary>Asks <paramref name="server"/> about <paramref name="name"/>; null when no answer came back at all.</summary>
    public async Task<DnsProbeAnswer?> DnsAsync(IPAddress server, string name, string type = "A", bool tcp = false, int timeoutMs = 2000)
    {
        var result = await RunAsync(["dns", server.ToString(), name, "--type", type, "--timeout", Port(timeoutMs), .. tcp ? new[] { "--tcp" } : []]);
        return result.ExitCode == 0 ? DnsProbeAnswer.Parse(result.Stdout) : null;
    }

    public async Task<string> RunReportAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        return result.ExitCode == 0 ? result.Stdout.Trim() : throw new InvalidOperationException($"probe {string.Join(' ', arguments)} failed: {result.Stdout}{result.Stderr}");
    }

    private Task<WorkloadResult> RunAsync(IReadOnlyList<string> arguments) =>
        runner.RunAsync([.. runner.ProbeCommand, .. arguments], TimeSpan.FromSeconds(60));

    private static string Port(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string[] Source(IPAddress? source) => source is null ? [] : ["--source", source.ToString()];

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}

/// <summary>The probe's one-line DNS report: return code, A addresses and their TTLs.</summary>
public sealed record DnsProbeAnswer(string ReturnCode, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<int> Ttls)
{
    public static DnsProbeAnswer Parse(string line)
    {
        var fields = line.Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f.Length > 1 ? f[1] : "");
        return new DnsProbeAnswer(fields["rcode"],
            fields["addresses"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToList(),
            fields["ttls"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToList());
    }
}
