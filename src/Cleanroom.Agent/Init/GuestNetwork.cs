using System.Net;
using System.Text;
using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Init;

/// <summary>
/// The guest's network, from the kernel command line: loopback always; and when the host attached the VM to a
/// sandbox network, <c>eth0</c> (the virtio-net device) with <c>cleanroom.ip=ADDRESS/PREFIX</c>, a default route
/// via <c>cleanroom.gateway</c>, and <c>cleanroom.resolv</c> (base64 of the sandbox's resolv.conf) written as
/// /etc/resolv.conf. The kernel has no IPv6, so the guest speaks IPv4 only. Enforcement is entirely on the host
/// (the firewall sees the guest's packets on the sandbox's link); nothing here is trusted for it, so a failure
/// is logged and the guest simply has less network.
/// </summary>
internal static class GuestNetwork
{
    public const string Device = "eth0";
    private static readonly TimeSpan DeviceDeadline = TimeSpan.FromSeconds(5);

    /// <summary>Interfaces and routes; runs before the root switch (no file is written).</summary>
    public static void Configure(KernelCommandLine commandLine)
    {
        Try("bring up lo", () => NetSyscalls.SetUp("lo"));
        if (commandLine["ip"] is not { Length: > 0 } cidr)
            return;
        Try($"configure {Device}", () =>
        {
            var (address, prefix) = ParseCidr(cidr);
            WaitForDevice();
            NetSyscalls.SetAddress(Device, address, prefix);
            NetSyscalls.SetUp(Device);
            if (commandLine["gateway"] is { Length: > 0 } gateway)
                NetSyscalls.AddDefaultRoute(Device, IPAddress.Parse(gateway));
        });
    }

    /// <summary>/etc/resolv.conf in the image's root; runs after the root switch.</summary>
    public static void WriteResolvConf(KernelCommandLine commandLine)
    {
        string? content = null;
        if (commandLine["resolv"] is { Length: > 0 } encoded)
            content = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        else if (commandLine["nameserver"] is { Length: > 0 } nameserver)
            content = $"nameserver {nameserver}\n";
        if (content is null)
            return;
        Try("write /etc/resolv.conf", () =>
        {
            Directory.CreateDirectory("/etc");
            // The image's file may be a link (to a resolver daemon's file that does not exist here): replace it.
            if (new FileInfo("/etc/resolv.conf") is { LinkTarget: not null } link)
                link.Delete();
            File.WriteAllText("/etc/resolv.conf", content);
        });
    }

    internal static (IPAddress Address, int Prefix) ParseCidr(string cidr)
    {
        var slash = cidr.IndexOf('/');
        var address = IPAddress.Parse(slash < 0 ? cidr : cidr[..slash]);
        var prefix = slash < 0 ? 32 : int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || prefix is < 0 or > 32)
            throw new FormatException($"not an IPv4 address with a prefix: {cidr}");
        return (address, prefix);
    }

    private static void WaitForDevice()
    {
        var deadline = Environment.TickCount64 + (long)DeviceDeadline.TotalMilliseconds;
        while (!Directory.Exists("/sys/class/net/" + Device))
        {
            if (Environment.TickCount64 > deadline)
                throw new IOException($"no {Device} within {DeviceDeadline.TotalSeconds:0} s");
            Thread.Sleep(20);
        }
    }

    private static void Try(string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            AgentLog.Error($"cannot {what}: {e.Message}");
        }
    }
}
