using System.ComponentModel;

namespace Cleanroom.Network.Netlink;

/// <summary>
/// The kernel refused a netlink request (or a namespace call failed): the errno and, when the kernel said
/// more (extended ack), its message. Internal: callers turn it into <c>network_setup_failed</c> or treat a
/// specific errno (ENODEV on delete) as "already gone".
/// </summary>
internal sealed class NetlinkException(int errno, string operation, string? kernelMessage = null)
    : Exception($"{operation}: {new Win32Exception(errno).Message} (errno {errno})" + (kernelMessage is null ? "" : $": {kernelMessage}"))
{
    public int Errno { get; } = errno;
}
