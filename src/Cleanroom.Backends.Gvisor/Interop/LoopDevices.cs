using System.Text;

namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>A loop device this process attached and still holds open.</summary>
internal sealed class LoopDevice(int number, int fd) : IDisposable
{
    private int _fd = fd;

    public int Number { get; } = number;

    public string Path => LoopDevices.PathOf(Number);

    /// <summary>Closes our descriptor. With autoclear set the device detaches itself once nothing (no mount) uses it.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            LibC.Close(fd);
    }
}

/// <summary>A loop device and the file behind it, as sysfs shows them.</summary>
internal sealed record AttachedLoop(int Number, string BackingFile);

/// <summary>
/// Loop devices through their ioctls (what <c>losetup</c> does, without a process): attach a file to a free device with
/// autoclear, find devices by the file behind them, detach one.
/// </summary>
internal static class LoopDevices
{
    // Another attacher (losetup, a concurrent sandbox) may take the device LOOP_CTL_GET_FREE named before we configure
    // it; LOOP_CONFIGURE then fails with EBUSY and a fresh free device is asked for.
    private const int Attempts = 16;
    private const string SysBlock = "/sys/block";

    public static string PathOf(int number) => $"/dev/loop{number}";

    /// <summary>
    /// Attaches <paramref name="backingFile"/> read-write to a free loop device, with <c>LO_FLAGS_AUTOCLEAR</c>: the device
    /// detaches itself when its last user lets go: the returned handle, then whatever mounts it. So a crash between
    /// attach and mount leaves no device behind. Throws <see cref="SystemCallException"/>.
    /// </summary>
    public static unsafe LoopDevice Attach(string backingFile)
    {
        var file = LibC.Open(backingFile, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (file < 0)
            throw SystemCallException.Last($"open {backingFile}");
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var number = FreeNumber();
                var device = LibC.Open(PathOf(number), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
                if (device < 0)
                    throw SystemCallException.Last($"open {PathOf(number)}");
                var config = new LibC.LoopConfig { Fd = (uint)file };
                config.Info.Flags = LibC.LO_FLAGS_AUTOCLEAR;
                var name = Encoding.UTF8.GetBytes(backingFile);
                new ReadOnlySpan<byte>(name, 0, Math.Min(name.Length, LibC.LO_NAME_SIZE - 1)).CopyTo(new Span<byte>(config.Info.FileName, LibC.LO_NAME_SIZE));
                if (LibC.Ioctl(device, LibC.LOOP_CONFIGURE, &config) == 0)
                    return new LoopDevice(number, device);
                var error = SystemCallException.Last($"LOOP_CONFIGURE {PathOf(number)} with {backingFile}");
                LibC.Close(device);
                if (error.Errno != LibC.EBUSY || attempt == Attempts)
                    throw error;
            }
        }
        finally
        {
            LibC.Close(file); // the device holds its own reference to the file
        }
    }

    /// <summary>
    /// Detaches loop device <paramref name="number"/>. One still in use (mounted) is marked to detach itself when its
    /// last user lets go; one already free is no error.
    /// </summary>
    public static unsafe void Detach(int number)
    {
        var device = LibC.Open(PathOf(number), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (device < 0)
        {
            var open = SystemCallException.Last($"open {PathOf(number)}");
            if (open.Errno is LibC.ENOENT or LibC.ENXIO)
                return;
            throw open;
        }
        try
        {
            if (LibC.Ioctl(device, LibC.LOOP_CLR_FD, null) != 0)
            {
                var error = SystemCallException.Last($"LOOP_CLR_FD {PathOf(number)}");
                if (error.Errno != LibC.ENXIO)
                    throw error;
            }
        }
        finally
        {
            LibC.Close(device);
        }
    }

    /// <summary>
    /// Every attached loop device whose backing file <paramref name="matches"/>. The path is the one sysfs shows, with a
    /// trailing <c> (deleted)</c> removed: the file may already be unlinked while the device still holds it.
    /// </summary>
    public static IReadOnlyList<AttachedLoop> BackedBy(Func<string, bool> matches)
    {
        var found = new List<AttachedLoop>();
        if (!Directory.Exists(SysBlock))
            return found;
        foreach (var entry in Directory.EnumerateDirectories(SysBlock, "loop*"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(entry)["loop".Length..], out var number))
                continue;
            string backing;
            try
            {
                backing = File.ReadAllText(System.IO.Path.Combine(entry, "loop", "backing_file")).TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // not attached (no loop/ directory) or detached while we looked
            }
            const string deleted = " (deleted)";
            if (backing.EndsWith(deleted, StringComparison.Ordinal))
                backing = backing[..^deleted.Length];
            if (matches(backing))
                found.Add(new AttachedLoop(number, backing));
        }
        return found;
    }

    private static unsafe int FreeNumber()
    {
        var control = LibC.Open("/dev/loop-control", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (control < 0)
            throw SystemCallException.Last("open /dev/loop-control");
        try
        {
            // Makes a new device when none is free (the kernel's max_loop only sizes the set made at boot).
            var number = LibC.Ioctl(control, LibC.LOOP_CTL_GET_FREE, null);
            return number >= 0 ? number : throw SystemCallException.Last("LOOP_CTL_GET_FREE");
        }
        finally
        {
            LibC.Close(control);
        }
    }
}
