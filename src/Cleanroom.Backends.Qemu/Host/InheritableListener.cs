using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Backends.Qemu.Host;

/// <summary>
/// A listening unix socket made with plain socket/bind/listen, to be inherited by QEMU and then closed here with a
/// plain close(2). Not a managed <see cref="System.Net.Sockets.Socket"/>: disposing one shuts the socket down, which
/// would break the copy QEMU inherited (they share one open socket), and the VM's agent channel with it.
/// </summary>
internal static partial class InheritableListener
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    private const int SunPathLength = 108;

    public static SafeFileHandle Bind(string path)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= SunPathLength)
            throw new IOException($"socket path too long for a unix socket ({pathBytes.Length} bytes): {path}");
        var fd = Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new IOException($"socket: {Marshal.GetLastPInvokeErrorMessage()}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var address = new byte[2 + SunPathLength];
        address[0] = AF_UNIX; // sa_family, little-endian
        pathBytes.CopyTo(address, 2);
        if (Bind(fd, address, address.Length) != 0 || Listen(fd, 4) != 0)
        {
            var error = Marshal.GetLastPInvokeErrorMessage();
            handle.Dispose();
            throw new IOException($"cannot listen on {path}: {error}");
        }
        return handle;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int Listen(int fd, int backlog);
}
