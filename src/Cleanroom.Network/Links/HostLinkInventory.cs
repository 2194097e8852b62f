using System.Net;
using Cleanroom.Errors;
using Cleanroom.Network.Namespaces;
using Cleanroom.Network.Netlink;

namespace Cleanroom.Network;

/// <summary>A host link made by this component, as found on the host: its name, alias (the sandbox id) and address.</summary>
internal sealed record FoundHostLink(string Name, string? SandboxId, IPAddress? HostAddress);

/// <summary>Reads back what exists on the host (namespaces and host links with our prefix) for reconciliation, via rtnetlink dumps.</summary>
internal sealed class HostLinkInventory(string prefix)
{
    /// <summary>Names of network namespaces that this prefix made (<c>{prefix}-{sandbox id}</c>).</summary>
    public IReadOnlyList<string> Namespaces() => NamedNetworkNamespace.List(prefix + "-");

    public IReadOnlyList<FoundHostLink> HostLinks()
    {
        try
        {
            using var host = RouteNetlink.Open();
            var addressByIndex = new Dictionary<int, IPAddress>();
            foreach (var (index, address, _) in host.Ipv4Addresses())
                addressByIndex[index] = address;
            return host.Links()
                .Where(l => SandboxNames.IsHostLink(l.Name, prefix))
                .Select(l => new FoundHostLink(l.Name, l.Alias, addressByIndex.GetValueOrDefault(l.Index)))
                .ToList();
        }
        catch (NetlinkException e)
        {
            throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"listing the host's links failed: {e.Message}", e);
        }
    }
}
