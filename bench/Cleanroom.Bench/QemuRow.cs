using Cleanroom.Backends.Qemu.Vm;

namespace Cleanroom.Bench;

/// <summary>
/// Time to interactive of a qemu sandbox (<c>cleanroom exec --rm --backend qemu -- true</c>: CLI process, new VM with
/// its disk overlay and network, the command, terminate) against <see cref="RawQemuBoot"/>: the same kernel on the
/// same machine with an init that exits at once, the two alternating run by run. Skipped, with the reason, where
/// doctor finds qemu unusable.
/// </summary>
internal static class QemuRow
{
    public static async Task MeasureAsync(Report report, string cleanroom, string policyDir, int runs, TimeSpan idleBeforeEach = default, string label = "")
    {
        var qemu = await QemuOnThisHost.AskAsync(cleanroom);
        if (!qemu.Usable)
        {
            Console.Error.WriteLine($"  qemu row skipped: {qemu.Reason}");
            return;
        }

        var accelerator = qemu.Accelerator.ToString().ToLowerInvariant();
        using var raw = RawQemuBoot.Create(qemu.Kernel!, qemu.Accelerator, "/bin/busybox");
        var (tti, rawBoot) = await Measurement.TimeAlternatingAsync(
            "cleanroom exec --rm --backend qemu -- true", () => Commands.RunAsync(cleanroom, "exec", "--rm", "--backend", "qemu", "--chdir", policyDir, "--", "true"),
            $"raw QEMU boot ({accelerator}), init exits at once", raw.BootAsync,
            runs, idleBeforeEach);
        report.Compare($"time to interactive, qemu ({accelerator}){label}", tti, rawBoot,
            target: qemu.Accelerator == Accelerator.Kvm ? "<= 1.2x" : "<= 1.2x; <= 2.0 s median emulated");
    }
}
