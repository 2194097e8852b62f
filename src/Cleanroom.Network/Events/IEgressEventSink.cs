namespace Cleanroom.Network;

/// <summary>
/// What the server learns from egress enforcement. Calls come from the DNS resolver's and the NFLOG
/// reader's threads; implementations must be thread-safe and quick (queue, do not block).
/// </summary>
public interface IEgressEventSink
{
    /// <summary>A packet from the sandbox was dropped; one call per blocked connection attempt.</summary>
    void BlockedConnection(BlockedConnection blocked);

    /// <summary>The sandbox asked the policy resolver for a name the active stage does not allow.</summary>
    void HostNotAllowed(HostNotAllowed refused);

    /// <summary>An allowed name was answered and its addresses opened on the rule's ports.</summary>
    void AllowedResolution(AllowedResolution resolution);
}
