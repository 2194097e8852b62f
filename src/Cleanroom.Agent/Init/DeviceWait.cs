using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Init;

/// <summary>
/// Waits for a device node to appear in devtmpfs. A virtio-serial port is announced to the guest over the
/// device's control queue after the driver has probed, so its node can come a moment after init starts.
/// Waits on inotify, not by polling the path.
/// </summary>
internal static class DeviceWait
{
    public static void UntilExists(string path, TimeSpan deadline)
    {
        if (File.Exists(path))
            return;
        var directory = Path.GetDirectoryName(path) ?? "/dev";
        using var watch = InitSyscalls.WatchForCreation(directory);
        var end = Environment.TickCount64 + (long)deadline.TotalMilliseconds;
        var events = new byte[4096];
        // Checked after the watch exists, so a node created in between is not missed.
        while (!File.Exists(path))
        {
            var remaining = end - Environment.TickCount64;
            if (remaining <= 0 || FileDescriptors.Poll([watch], [LibC.POLLIN], (int)remaining) < 0)
                throw new IOException($"{path} did not appear within {deadline.TotalSeconds:0} s");
            FileDescriptors.Read(watch, events);
        }
    }
}
