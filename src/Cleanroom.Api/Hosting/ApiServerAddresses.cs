using Cleanroom.Api.Addressing;

namespace Cleanroom.Api.Hosting;

/// <summary>
/// The addresses the running server actually listens on: the requested ones, with the real port where
/// <c>http://127.0.0.1:0</c> let the kernel choose. Resolve it from the host's services after start.
/// </summary>
public sealed class ApiServerAddresses
{
    private readonly Dictionary<ApiAddress, ApiAddress> _bound = new();

    public IReadOnlyList<ApiAddress> Bound
    {
        get
        {
            lock (_bound) return _bound.Values.ToList();
        }
    }

    /// <summary>The bound form of a requested address, if it is listening.</summary>
    public ApiAddress? BoundFor(ApiAddress requested)
    {
        lock (_bound) return _bound.TryGetValue(requested, out var bound) ? bound : null;
    }

    internal void Add(ApiAddress requested, ApiAddress bound)
    {
        lock (_bound) _bound[requested] = bound;
    }

    internal void Remove(ApiAddress requested)
    {
        lock (_bound) _bound.Remove(requested);
    }
}
