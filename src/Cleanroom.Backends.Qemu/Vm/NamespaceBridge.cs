using System.Net;
using System.Text.Json;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// Turns a sandbox network's namespace (Cleanroom.Network: <c>eth0</c> holds the sandbox address with a default
/// route via the host end) into a plain layer-2 hop for a VM: a TAP device for QEMU and a bridge joining it to
/// <c>eth0</c>, and the sandbox address moved off <c>eth0</c> to the guest (which configures it from the kernel
/// command line). The namespace then has no address at all; the guest's frames cross the bridge and the veth
/// unchanged, so the host's firewall sees them on the sandbox's link with the sandbox's own source address,
/// exactly as it sees a gVisor sandbox's. IPv6 stays off: Cleanroom.Network disables it for every interface
/// made in the namespace, and the guest kernel has none.
/// <para>Everything made here lives inside the namespace and goes with it; <see cref="RemoveTapAsync"/> takes
/// the TAP away earlier, when the VM ends.</para>
/// </summary>
internal sealed class NamespaceBridge(ProgramRunner runner, TimeSpan timeout, ILogger logger)
{
    /// <summary>Names inside the sandbox's own namespace, so they never collide with another sandbox's.</summary>
    public const string TapName = "tap0";
    public const string BridgeName = "br0";

    public async Task<GuestNetworkAttachment> AttachAsync(NetworkAttachment attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        var link = attachment.Interface;
        var (address, prefix, gateway) = attachment is { SandboxAddress: { } a, PrefixLength: { } p, GatewayAddress: { } g }
            ? (a, p, g)
            : await ReadAddressesAsync(attachment.NamespacePath, link, cancellationToken).ConfigureAwait(false);

        // Order matters only for tidiness: until the address leaves eth0 nothing can use the bridge anyway, and
        // nothing in the namespace sends on its own (the VM has not started). One ip process for all of it (-batch
        // stops at the first failing line and exits non-zero): each process costs a sandbox's start a few ms.
        var steps =
            $"tuntap add dev {TapName} mode tap\n" +
            $"link add {BridgeName} type bridge\n" +
            $"addr flush dev {link}\n" +
            $"link set {link} master {BridgeName}\n" +
            $"link set {TapName} master {BridgeName}\n" +
            $"link set {TapName} up\n" +
            $"link set {BridgeName} up\n";
        (await runner.RunAsync(["nsenter", $"--net={attachment.NamespacePath}", "ip", "-batch", "-"], steps, timeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        logger.LogDebug("namespace {Namespace}: {Address}/{Prefix} moved from {Link} to the guest behind {Tap}", attachment.NamespacePath, address, prefix, link, TapName);
        return new GuestNetworkAttachment(attachment.NamespacePath, TapName, $"{address}/{prefix}", gateway.ToString(), attachment.ResolvConf);
    }

    /// <summary>Best effort: the namespace may already be gone, which removes the TAP too.</summary>
    public async Task RemoveTapAsync(string namespacePath)
    {
        if (!File.Exists(namespacePath))
            return;
        try
        {
            var result = await runner.TryRunAsync(["nsenter", $"--net={namespacePath}", "ip", "link", "del", TapName], timeout, CancellationToken.None).ConfigureAwait(false);
            if (result is { ExitCode: not 0 })
                logger.LogDebug("removing {Tap} in {Namespace}: {Stderr}", TapName, namespacePath, result.Stderr.Trim());
        }
        catch (CleanroomException e)
        {
            logger.LogDebug(e, "removing {Tap} in {Namespace}", TapName, namespacePath);
        }
    }

    /// <summary>For an attachment that did not say: the IPv4 address on <paramref name="link"/> and the default route's gateway.</summary>
    private async Task<(IPAddress Address, int Prefix, IPAddress Gateway)> ReadAddressesAsync(string namespacePath, string link, CancellationToken cancellationToken)
    {
        var addresses = (await runner.RunAsync(["nsenter", $"--net={namespacePath}", "ip", "-j", "-4", "addr", "show", "dev", link], timeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var routes = (await runner.RunAsync(["nsenter", $"--net={namespacePath}", "ip", "-j", "-4", "route", "show", "default"], timeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        IPAddress? address = null, gateway = null;
        var prefix = 0;
        using (var json = JsonDocument.Parse(addresses.Stdout))
        {
            foreach (var info in json.RootElement.EnumerateArray().SelectMany(i => i.TryGetProperty("addr_info", out var a) ? a.EnumerateArray() : default))
            {
                if (info.TryGetProperty("local", out var local) && IPAddress.TryParse(local.GetString(), out var parsed))
                {
                    address = parsed;
                    prefix = info.GetProperty("prefixlen").GetInt32();
                    break;
                }
            }
        }
        using (var json = JsonDocument.Parse(routes.Stdout))
        {
            foreach (var route in json.RootElement.EnumerateArray())
                if (route.TryGetProperty("gateway", out var g) && IPAddress.TryParse(g.GetString(), out var parsed))
                    gateway = parsed;
        }
        if (address is null || gateway is null)
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"the network namespace {namespacePath} has no IPv4 address on {link} or no default gateway to hand to the VM");
        return (address, prefix, gateway);
    }
}
