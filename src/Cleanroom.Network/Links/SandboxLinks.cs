using Cleanroom.Errors;
using Cleanroom.Network.Namespaces;
using Cleanroom.Network.Netlink;

namespace Cleanroom.Network;

/// <summary>
/// Makes and removes a sandbox's network namespace and its veth link to the host, through rtnetlink and
/// /proc/sys (no ip or sysctl processes). The namespace is a named one (see <see cref="NamedNetworkNamespace"/>)
/// so that runsc or QEMU can be started in it with <c>nsenter --net=PATH</c> or an OCI namespace path.
/// <para><see cref="CreateAsync"/> leaves the host end <b>down</b>: no packet can cross the link until
/// <see cref="Open"/>, which the caller runs only once the sandbox's firewall is in place.</para>
/// </summary>
internal sealed class SandboxLinks
{
    // IPv6 goes off before any interface exists in the namespace, so eth0 never gets even a link-local
    // address: the firewall only reasons about IPv4.
    private static readonly (string, string)[] NamespaceSysctls = Ipv6Present
        ? [("net/ipv6/conf/all/disable_ipv6", "1"), ("net/ipv6/conf/default/disable_ipv6", "1")]
        : [];

    private static bool Ipv6Present => Directory.Exists("/proc/sys/net/ipv6");

    public async Task CreateAsync(SandboxNames names, LinkAddresses link, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        NamedNetworkNamespace? created = null;
        try
        {
            created = await NamedNetworkNamespace.CreateAsync(names.Namespace, NamespaceSysctls).ConfigureAwait(false);
            using (var host = RouteNetlink.Open())
            {
                host.CreateVethPair(names.HostLink, SandboxNames.SandboxLink, created.Descriptor);
                // The host end carries the sandbox id as its alias: the only way back from a 15-byte name to the id.
                host.SetAlias(names.HostLink, names.SandboxId);
                if (Ipv6Present)
                    File.WriteAllText($"/proc/sys/net/ipv6/conf/{names.HostLink}/disable_ipv6", "1");
                host.AddAddress(host.IndexOf(names.HostLink), link.HostAddress, LinkAddresses.PrefixLength);
            }
            var inside = created.Inside;
            inside.SetUp("lo");
            var eth0 = inside.IndexOf(SandboxNames.SandboxLink);
            inside.AddAddress(eth0, link.SandboxAddress, LinkAddresses.PrefixLength);
            inside.SetUp(SandboxNames.SandboxLink);
            inside.AddDefaultRoute(link.HostAddress, eth0);
        }
        catch (Exception e) when (e is NetlinkException or IOException or UnauthorizedAccessException)
        {
            Remove(created is null ? null : names.Namespace, created is null ? null : names.HostLink);
            throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"making the network namespace and link of {names.SandboxId} failed: {e.Message}", e);
        }
        finally
        {
            created?.Dispose();
        }
    }

    /// <summary>Brings the host end up: from now on the sandbox's packets reach the host and its firewall.</summary>
    public void Open(SandboxNames names)
    {
        try
        {
            using var host = RouteNetlink.Open();
            host.SetUp(names.HostLink);
        }
        catch (NetlinkException e)
        {
            throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"bringing up the link of {names.SandboxId} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Removes the host link (its peer goes with it) and the namespace; each may already be gone (a half-made
    /// sandbox, a second teardown). Returns the problems that remain, empty when both are gone.
    /// </summary>
    public IReadOnlyList<string> Remove(string? namespaceName, string? hostLink)
    {
        var problems = new List<string>();
        if (hostLink is not null)
        {
            try
            {
                using var host = RouteNetlink.Open();
                host.DeleteLink(hostLink);
            }
            catch (NetlinkException e)
            {
                problems.Add(e.Message);
            }
        }
        if (namespaceName is not null)
        {
            try
            {
                NamedNetworkNamespace.Remove(namespaceName);
            }
            catch (NetlinkException e)
            {
                problems.Add(e.Message);
            }
        }
        return problems;
    }
}
