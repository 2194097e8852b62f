using System.Net;
using Cleanroom.Errors;

namespace Cleanroom.Network;

/// <summary>
/// Hands out /30 links from the configured pool. State is in memory only: after a restart,
/// <see cref="SandboxNetworks.ReconcileAsync"/> marks the links of surviving sandboxes as taken again
/// (read back from the host), so a new sandbox never reuses a live one's addresses.
/// </summary>
internal sealed class LinkAddressPool(Ipv4Subnet pool)
{
    private readonly object _gate = new();
    private readonly HashSet<uint> _taken = [];
    private uint _next;

    private uint Capacity => pool.Size / 4;

    public LinkAddresses Allocate()
    {
        lock (_gate)
        {
            for (uint tried = 0; tried < Capacity; tried++)
            {
                var index = (_next + tried) % Capacity;
                if (_taken.Add(index))
                {
                    // Round-robin rather than lowest-free, so a just-released link (whose conntrack entries
                    // may still linger) is not handed straight to the next sandbox.
                    _next = (index + 1) % Capacity;
                    return LinkAddresses.At(pool, index);
                }
            }
        }
        throw new CleanroomException(ErrorCode.NetworkSetupFailed,
            $"network.pool {pool} has no free /30 left ({Capacity} sandboxes); use a larger pool");
    }

    /// <summary>Marks the link containing <paramref name="hostAddress"/> as taken (a sandbox that survived a restart).</summary>
    public bool MarkTaken(IPAddress hostAddress)
    {
        if (!pool.Contains(hostAddress))
            return false;
        lock (_gate)
            return _taken.Add((Ipv4Subnet.ToUInt32(hostAddress) - pool.Network) / 4);
    }

    public void Release(LinkAddresses link)
    {
        lock (_gate)
            _taken.Remove((link.Subnet.Network - pool.Network) / 4);
    }
}
