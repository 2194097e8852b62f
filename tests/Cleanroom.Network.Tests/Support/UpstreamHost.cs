using System.Net;
using System.Net.Sockets;

namespace Cleanroom.Network.Tests;

/// <summary>
/// A host "on the internet" that a test makes for itself: its own network namespace at
/// 198.18.X.(4n+2), linked to the host by a veth whose host end is .(4n+1) (a connected route, so
/// nothing else is needed and nothing leaves this machine). Listeners run inside it.
/// </summary>
internal sealed class UpstreamHost : IAsyncDisposable
{
    private readonly List<IDisposable> _listeners = [];

    private UpstreamHost(string namespaceName, string hostLink, IPAddress address, IPAddress hostEnd)
    {
        NamespaceName = namespaceName;
        HostLink = hostLink;
        Address = address;
        HostEnd = hostEnd;
    }

    public string NamespaceName { get; }

    public string NamespacePath => $"/var/run/netns/{NamespaceName}";

    public string HostLink { get; }

    public IPAddress Address { get; }

    /// <summary>The host's own address on this upstream's link: a host address that is not the sandbox link's.</summary>
    public IPAddress HostEnd { get; }

    public static async Task<UpstreamHost> CreateAsync(TestRun run, int index)
    {
        // No '-' after the prefix: reconcile owns "{prefix}-*" namespaces and must never take these.
        var host = new UpstreamHost($"{run.Prefix}u{index}", $"{run.Prefix}u{index}", IPAddress.Parse(run.UpstreamAddress(index)), IPAddress.Parse(run.UpstreamHostEnd(index)));
        try
        {
            await HostShell.RunAsync(["ip", "netns", "add", host.NamespaceName]);
            await HostShell.RunAsync(["ip", "-batch", "-"],
                $"link add {host.HostLink} type veth peer name eth0 netns {host.NamespaceName}\n" +
                $"addr add {host.HostEnd}/30 dev {host.HostLink}\n" +
                $"link set {host.HostLink} up\n");
            await HostShell.RunAsync(["ip", "-netns", host.NamespaceName, "-batch", "-"],
                "link set lo up\n" +
                $"addr add {host.Address}/30 dev eth0\n" +
                "link set eth0 up\n" +
                $"route add default via {host.HostEnd}\n");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public TcpEchoListener ListenTcp(int port, bool discard = false) =>
        Track(new TcpEchoListener(NamespaceSockets.Create(NamespacePath, SocketType.Stream, ProtocolType.Tcp), new IPEndPoint(Address, port), discard));

    public UdpEchoListener ListenUdp(int port) =>
        Track(new UdpEchoListener(NamespaceSockets.Create(NamespacePath, SocketType.Dgram, ProtocolType.Udp), new IPEndPoint(Address, port)));

    public TestDnsServer ServeDns(IReadOnlyDictionary<string, (IPAddress Address, int Ttl)> records) =>
        Track(NamespaceSockets.Run(NamespacePath, () => new TestDnsServer(Address, records)));

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in _listeners)
            listener.Dispose();
        await HostShell.RunAsync(["ip", "link", "del", HostLink], check: false);
        await HostShell.RunAsync(["ip", "netns", "del", NamespaceName], check: false);
    }

    private T Track<T>(T listener) where T : IDisposable
    {
        _listeners.Add(listener);
        return listener;
    }
}
