using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Creates sockets (or starts servers) inside another network namespace without a helper process: a
/// fresh thread enters the namespace with setns(2), makes the socket and exits. A socket belongs to the
/// namespace it was created in for its whole life, whichever thread uses it later.
/// </summary>
internal static partial class NamespaceSockets
{
    private const int CloneNewNet = 0x40000000;

    public static Socket Create(string namespacePath, SocketType type, ProtocolType protocol) =>
        Run(namespacePath, () => new Socket(AddressFamily.InterNetwork, type, protocol));

    public static T Run<T>(string namespacePath, Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(namespacePath, FileMode.Open, FileAccess.Read);
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns({namespacePath})");
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
            throw new InvalidOperationException($"in namespace {namespacePath}: {error.Message}", error);
        return result;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
