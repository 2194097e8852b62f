using System.Runtime.InteropServices;
using Cleanroom.Network.Interop;
using Cleanroom.Network.Netlink;

namespace Cleanroom.Network.Namespaces;

/// <summary>
/// A named network namespace made as <c>ip netns add</c> makes one (the mount layout nsenter, runsc and
/// <c>ip netns</c> expect): <c>/var/run/netns</c> a shared mount point, an empty file there, and the new
/// namespace bind-mounted onto it. The namespace is made by <c>unshare(CLONE_NEWNET)</c> on a thread of its
/// own that also does everything that must happen inside (sysctls, which /proc/sys/net resolves by the
/// calling thread's namespace, and opening an rtnetlink socket there), then returns to the host namespace
/// and ends: no pooled thread ever runs in a sandbox's namespace.
/// <para>The instance holds a descriptor of the namespace (what a veth peer is created into) and that
/// rtnetlink socket; disposing it closes both, never the namespace, which lives on in its bind mount until
/// <see cref="Remove"/>.</para>
/// </summary>
internal sealed class NamedNetworkNamespace : IDisposable
{
    private static readonly Lock SharedMountGate = new();
    private static bool _sharedMountReady;

    private NamedNetworkNamespace(string name, FileDescriptorHandle descriptor, RouteNetlink inside)
    {
        Name = name;
        Descriptor = descriptor;
        Inside = inside;
    }

    public string Name { get; }

    public string Path => NetworkNamespacePaths.For(Name);

    /// <summary>An open descriptor of the namespace (<c>IFLA_NET_NS_FD</c>, <c>setns</c>).</summary>
    public FileDescriptorHandle Descriptor { get; }

    /// <summary>rtnetlink inside the namespace.</summary>
    public RouteNetlink Inside { get; }

    /// <summary>
    /// Makes the namespace <paramref name="name"/> and writes <paramref name="sysctls"/> (paths under
    /// /proc/sys, e.g. <c>net/ipv6/conf/all/disable_ipv6</c>) inside it before anything else exists there.
    /// Throws <see cref="NetlinkException"/> (EEXIST when the name is taken); on failure nothing is left.
    /// </summary>
    public static Task<NamedNetworkNamespace> CreateAsync(string name, IReadOnlyList<(string Path, string Value)> sysctls)
    {
        EnsureSharedMountPoint();
        var made = new TaskCompletionSource<NamedNetworkNamespace>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                made.SetResult(CreateOnThisThread(name, sysctls));
            }
            catch (Exception e)
            {
                made.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + name,
        };
        thread.UnsafeStart();
        return made.Task;
    }

    /// <summary>Unmounts and removes the namespace's file; false when there was none. The namespace ends with its last user.</summary>
    public static bool Remove(string name)
    {
        var path = NetworkNamespacePaths.For(name);
        if (!File.Exists(path))
            return false;
        // Detached like ip netns del: a process still inside (a dying runsc) keeps the namespace, not the mount.
        if (LibC.Umount2(path, LibC.MNT_DETACH) < 0 && Marshal.GetLastPInvokeError() is var errno and not (LibC.EINVAL or LibC.ENOENT))
            throw new NetlinkException(errno, $"umount {path}");
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            throw new NetlinkException(LibC.EINVAL, $"remove {path}: {e.Message}");
        }
        return true;
    }

    /// <summary>Names of the named namespaces whose name starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> List(string prefix) =>
        Directory.Exists(NetworkNamespacePaths.Directory)
            ? Directory.EnumerateFiles(NetworkNamespacePaths.Directory, prefix + "*")
                .Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public void Dispose()
    {
        Inside.Dispose();
        Descriptor.Dispose();
    }

    private static NamedNetworkNamespace CreateOnThisThread(string name, IReadOnlyList<(string Path, string Value)> sysctls)
    {
        var path = NetworkNamespacePaths.For(name);
        var placeholder = LibC.Open(path, LibC.O_RDONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0);
        if (placeholder < 0)
            throw new NetlinkException(Marshal.GetLastPInvokeError(), $"create {path}");
        LibC.Close(placeholder);

        using var host = Open("/proc/thread-self/ns/net");
        FileDescriptorHandle? descriptor = null;
        RouteNetlink? inside = null;
        var mounted = false;
        try
        {
            if (LibC.Unshare(LibC.CLONE_NEWNET) < 0)
                throw new NetlinkException(Marshal.GetLastPInvokeError(), "unshare(CLONE_NEWNET)");
            try
            {
                descriptor = Open("/proc/thread-self/ns/net");
                foreach (var (key, value) in sysctls)
                    File.WriteAllText("/proc/sys/" + key, value);
                inside = RouteNetlink.Open();
                if (LibC.Mount("/proc/thread-self/ns/net", path, "none", LibC.MS_BIND, 0) < 0)
                    throw new NetlinkException(Marshal.GetLastPInvokeError(), $"bind mount of the namespace onto {path}");
                mounted = true;
            }
            finally
            {
                // Back to the host's namespace. If this failed the thread still ends right after, with no pool
                // work ever scheduled on it, but say so rather than leave a thread of unknown namespace.
                using var lease = host.Borrow();
                if (LibC.SetNs(lease.Fd, LibC.CLONE_NEWNET) < 0)
                    throw new NetlinkException(Marshal.GetLastPInvokeError(), "setns back to the host namespace");
            }
            return new NamedNetworkNamespace(name, descriptor, inside);
        }
        catch (Exception e)
        {
            inside?.Dispose();
            descriptor?.Dispose();
            if (mounted)
                LibC.Umount2(path, LibC.MNT_DETACH);
            File.Delete(path);
            if (e is IOException or UnauthorizedAccessException)
                throw new NetlinkException(LibC.EINVAL, $"namespace {name}: {e.Message}");
            throw;
        }
    }

    /// <summary>
    /// As ip does: /var/run/netns must be a shared mount point, so the namespace mounts made under it reach
    /// mount namespaces that copied it (and a later unmount reaches them too).
    /// </summary>
    private static void EnsureSharedMountPoint()
    {
        lock (SharedMountGate)
        {
            if (_sharedMountReady)
                return;
            const string directory = NetworkNamespacePaths.Directory;
            Directory.CreateDirectory(directory);
            if (LibC.Mount("", directory, "none", LibC.MS_SHARED | LibC.MS_REC, 0) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINVAL)
                    throw new NetlinkException(errno, $"mount --make-rshared {directory}");
                // Not a mount point yet: bind it onto itself first.
                if (LibC.Mount(directory, directory, "none", LibC.MS_BIND | LibC.MS_REC, 0) < 0)
                    throw new NetlinkException(Marshal.GetLastPInvokeError(), $"mount --bind {directory} {directory}");
                if (LibC.Mount("", directory, "none", LibC.MS_SHARED | LibC.MS_REC, 0) < 0)
                    throw new NetlinkException(Marshal.GetLastPInvokeError(), $"mount --make-rshared {directory}");
            }
            _sharedMountReady = true;
        }
    }

    private static FileDescriptorHandle Open(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        return fd >= 0 ? new FileDescriptorHandle(fd) : throw new NetlinkException(Marshal.GetLastPInvokeError(), $"open {path}");
    }
}
