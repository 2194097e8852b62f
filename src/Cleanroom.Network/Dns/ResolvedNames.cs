using System.Net;

namespace Cleanroom.Network;

/// <summary>
/// Which name the policy resolver last answered with each address, so a blocked connection to that
/// address (say, on a port the rule does not open) can be reported with its host name. Bounded: the
/// oldest entries go first, since a workload can make the resolver answer many names.
/// </summary>
internal sealed class ResolvedNames
{
    private const int Capacity = 4096;
    private readonly object _gate = new();
    private readonly Dictionary<IPAddress, string> _names = [];
    private readonly Queue<IPAddress> _order = new();

    public void Remember(string name, IEnumerable<IPAddress> addresses)
    {
        lock (_gate)
            foreach (var address in addresses)
            {
                if (_names.TryAdd(address, name))
                {
                    _order.Enqueue(address);
                    if (_order.Count > Capacity)
                        _names.Remove(_order.Dequeue());
                }
                else
                    _names[address] = name;
            }
    }

    public string? NameOf(IPAddress address)
    {
        lock (_gate)
            return _names.GetValueOrDefault(address);
    }
}
