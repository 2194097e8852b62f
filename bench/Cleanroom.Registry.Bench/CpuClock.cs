using System.Runtime.InteropServices;

namespace Cleanroom.Registry.Bench;

/// <summary>
/// CPU time (user + kernel) used by this process and by the children it waited for, from getrusage: on a shared,
/// busy machine the CPU a pull costs is steadier than its wall time.
/// </summary>
internal static partial class CpuClock
{
    private const int Self = 0;
    private const int Children = -1;

    public static TimeSpan OfSelf() => Used(Self);

    public static TimeSpan OfChildren() => Used(Children);

    private static TimeSpan Used(int who)
    {
        if (GetResourceUsage(who, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return TimeSpan.FromMicroseconds((usage.UserSeconds + usage.SystemSeconds) * 1_000_000.0 + usage.UserMicroseconds + usage.SystemMicroseconds);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetResourceUsage(int who, out ResourceUsage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss;
        public long Ixrss;
        public long Idrss;
        public long Isrss;
        public long MinFlt;
        public long MajFlt;
        public long NSwap;
        public long InBlock;
        public long OuBlock;
        public long MsgSnd;
        public long MsgRcv;
        public long NSignals;
        public long NvCsw;
        public long NivCsw;
    }
}
