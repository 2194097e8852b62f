using System.Net;

namespace Cleanroom.Backends;

/// <summary>
/// A network made for the sandbox before the backend starts it (see the egress enforcement in
/// Cleanroom.Network): the backend runs the sandbox inside <see cref="NamespacePath"/> and gives it
/// <see cref="ResolvConf"/> as /etc/resolv.conf. Backends that can do this claim
/// <see cref="CapabilityNames.NetworkNamespaceAttach"/>; without an attachment they run with no network at all.
/// </summary>
public sealed record NetworkAttachment(string NamespacePath, string ResolvConf)
{
    /// <summary>The namespace's link to the host (<c>eth0</c>), which holds <see cref="SandboxAddress"/>.</summary>
    public string Interface { get; init; } = "eth0";

    /// <summary>
    /// The sandbox's own address on <see cref="Interface"/>, the only source the host accepts from it; null when
    /// the maker did not say (a backend then reads it from the namespace). A VM backend hands it to its guest.
    /// </summary>
    public IPAddress? SandboxAddress { get; init; }

    /// <summary>The host end of the link: the sandbox's default gateway and resolver.</summary>
    public IPAddress? GatewayAddress { get; init; }

    /// <summary>The link's prefix length (30).</summary>
    public int? PrefixLength { get; init; }

    /// <summary>
    /// Files the sandbox sees read-only at these guest paths, made by the host for this network (the host gateway's
    /// <c>/etc/gitconfig</c>). Backends that claim <see cref="CapabilityNames.NetworkNamespaceAttach"/> put them in
    /// place: gVisor bind-mounts them read-only, QEMU has the guest agent write them (root-owned, 0444) before the
    /// sandbox is handed out.
    /// </summary>
    public IReadOnlyDictionary<string, string> GuestFiles { get; init; } = new Dictionary<string, string>();
}
