namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// A VM's place on a sandbox network (made by <see cref="NamespaceBridge"/> from the server's
/// <see cref="Cleanroom.Backends.NetworkAttachment"/>): the launcher starts QEMU inside <see cref="NetnsPath"/>
/// and gives the guest a virtio-net device on <see cref="TapName"/>; the guest agent configures the interface
/// from the kernel command line (<see cref="GuestAddress"/> as ADDRESS/PREFIX, <see cref="Gateway"/>, and
/// <see cref="ResolvConf"/> as its /etc/resolv.conf). Egress enforcement stays on the host side of the
/// namespace's link, outside the VM.
/// </summary>
public sealed record GuestNetworkAttachment(string NetnsPath, string TapName, string GuestAddress, string Gateway, string? ResolvConf);
