using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Init;

/// <summary>
/// Credits the per-boot seed the host put on the command line to the kernel's entropy pool, so the
/// guest's random numbers are unpredictable from its first instant even before virtio-rng has delivered
/// anything, and two VMs of the same image never start from the same state. The seed is readable in
/// /proc/cmdline by the guest itself; that gives a workload nothing it could not read from the pool.
/// </summary>
internal static class EntropySeed
{
    public static void Apply(string? hex)
    {
        if (string.IsNullOrEmpty(hex))
            return;
        try
        {
            var seed = Convert.FromHexString(hex);
            using var random = FileDescriptors.OpenReadWrite("/dev/urandom", noControllingTerminal: true);
            InitSyscalls.AddEntropy(random, seed);
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            AgentLog.Error($"cannot seed the entropy pool: {e.Message}");
        }
    }
}
