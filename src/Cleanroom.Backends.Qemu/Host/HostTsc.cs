using System.Globalization;

namespace Cleanroom.Backends.Qemu.Host;

/// <summary>
/// The host's TSC rate in kHz, which is the rate an emulated guest's TSC runs at: QEMU's TCG answers a guest's
/// <c>rdtsc</c> with the host's own counter. An emulated guest cannot measure that rate reliably: its kernel
/// calibrates against the PIT, which fails whenever the host is busy (the vCPU is a host thread that gets
/// descheduled), and microvm has no HPET or ACPI PM timer to refine against. The kernel then marks the TSC
/// unstable and keeps the jiffies clock: 4 ms resolution for every clock_gettime in the guest, and identical
/// "random" DNS query ids from resolvers that seed them from the clock (busybox nslookup then drops the A answer
/// as a duplicate of the AAAA one). So the backend tells an emulated guest the rate (<c>tsc_early_khz</c>).
/// <para>
/// Read from /proc/cpuinfo: with a constant-rate TSC the kernel's delay loop runs on the TSC and its
/// loops-per-jiffy is tsc_khz·1000/HZ, so <c>bogomips</c> (2·lpj·HZ/10⁶) is tsc_khz/500, to 10 kHz. Null where the
/// host has no constant TSC or the file says nothing usable; the guest then calibrates by itself as before.
/// </para>
/// </summary>
internal static class HostTsc
{
    private static readonly Lazy<long?> Host = new(() =>
    {
        try
        {
            return FromCpuinfo(File.ReadAllText("/proc/cpuinfo"));
        }
        catch (IOException)
        {
            return null;
        }
    });

    /// <summary>This host's TSC rate, read once.</summary>
    public static long? Khz => Host.Value;

    /// <summary>The TSC rate the first processor's entry implies, or null.</summary>
    public static long? FromCpuinfo(string cpuinfo)
    {
        string? flags = null, bogomips = null;
        foreach (var line in cpuinfo.Split('\n'))
        {
            if (line.Length == 0 && (flags ?? bogomips) is not null)
                break; // the end of the first processor's entry
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            var key = line[..colon].Trim();
            if (key == "flags")
                flags = line[(colon + 1)..];
            else if (key == "bogomips")
                bogomips = line[(colon + 1)..].Trim();
        }
        var flagSet = (flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (!flagSet.Contains("tsc") || !flagSet.Contains("constant_tsc"))
            return null;
        if (!decimal.TryParse(bogomips, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            return null;
        var khz = (long)(value * 500);
        // Anything outside 100 MHz..20 GHz is not a TSC rate; better no hint than a wrong clock.
        return khz is >= 100_000 and <= 20_000_000 ? khz : null;
    }
}
