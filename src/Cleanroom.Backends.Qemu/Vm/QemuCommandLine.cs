using System.Globalization;
using Cleanroom.Backends.Qemu.Boot;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// The exact QEMU argv for a <see cref="VmLaunchSpec"/>, and the kernel command line inside it. Pure, so every
/// choice here is visible in one place and testable without QEMU; README.md explains the numbers behind them.
/// </summary>
internal static class QemuCommandLine
{
    /// <summary>The virtio-serial port the agent talks on; the only port, so the guest names it vport0p1.</summary>
    public const string GuestAgentPort = "/dev/vport0p1";

    public const string AgentPortName = "org.cleanroom.agent";

    public static string GuestName(string sandboxId) => "cleanroom-" + sandboxId;

    public static IReadOnlyList<string> Argv(VmLaunchSpec spec)
    {
        var argv = new List<string>();
        if (spec.Network is { } network)
            argv.AddRange(["nsenter", $"--net={network.NetnsPath}", "--"]);
        argv.AddRange(
        [
            spec.QemuBinary,
            "-name", GuestName(spec.SandboxId),
            // microvm: no PCI, no firmware tables to scan, devices on virtio-mmio. The RTC stays on: without it the
            // kernel spends a full second waiting for a clock that never ticks. The legacy PIC stays on too: without
            // it about one boot in six hung before init under TCG (kernel/README.md).
            "-machine", "microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=off",
            "-accel", spec.Accelerator == Accelerator.Kvm ? "kvm" : "tcg",
            // Under KVM the host CPU is passed through; TCG emulates the most capable CPU it knows.
            "-cpu", spec.Accelerator == Accelerator.Kvm ? "host" : "max",
            "-smp", spec.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-m", spec.MemoryMib.ToString(CultureInfo.InvariantCulture) + "M",
            "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
            // QEMU's own system-call filter: no obsolete calls, no spawning, no resource games. set*id must stay
            // allowed with -runas: this QEMU (7.2) installs the filter before it drops to the user, and a process
            // that is already unprivileged cannot use set*id to gain anything back.
            "-sandbox", "on,obsolete=deny,elevateprivileges=" + (spec.RunAsUser is null ? "deny" : "allow") + ",spawn=deny,resourcecontrol=deny",
            "-kernel", spec.KernelPath,
            "-initrd", spec.InitramfsPath,
            "-append", KernelCommandLine(spec),
            "-serial", "file:" + spec.ConsoleLogPath,
            "-pidfile", spec.PidFilePath,
            // The agent's channel: QEMU serves the listening socket it inherits as descriptor 3 (bound at the run
            // directory's agent.sock), one host connection after another, so a restarted server reconnects.
            // A probe boot's init never talks to the agent channel: it gets a null one and needs no descriptor 3.
            "-chardev", spec.Probe ? "null,id=agent" : "socket,id=agent,fd=3,server=on,wait=off",
            "-device", "virtio-serial-device,max_ports=2",
            "-device", $"virtserialport,chardev=agent,name={AgentPortName}",
            "-object", "rng-random,id=rng,filename=/dev/urandom",
            "-device", "virtio-rng-device,rng=rng",
        ]);
        if (spec.DiskPath is { } disk)
        {
            // cache=unsafe: the overlay is thrown away with the sandbox, so a guest's flushes need not reach the host disk.
            argv.AddRange(["-drive", $"id=root,file={disk},format=qcow2,if=none,cache=unsafe,discard=unmap", "-device", "virtio-blk-device,drive=root"]);
        }
        if (spec.Network is { } net)
        {
            argv.AddRange(["-netdev", $"tap,id=net,ifname={net.TapName},script=no,downscript=no", "-device", "virtio-net-device,netdev=net"]);
        }
        if (spec.RunAsUser is { } user)
            argv.AddRange(["-runas", user]);
        return argv;
    }

    /// <summary>
    /// The kernel command line. Our own settings are <c>cleanroom.NAME=value</c> (read by the agent from
    /// /proc/cmdline); the words that start the agent come from <see cref="AgentInitramfs.KernelParameters"/>.
    /// </summary>
    public static string KernelCommandLine(VmLaunchSpec spec)
    {
        var words = new List<string>
        {
            // quiet: every character on the emulated serial line costs; panic=-1 and reboot=t make any guest
            // failure a prompt QEMU exit (with -no-reboot) rather than a hung VM.
            "console=ttyS0", "quiet", "panic=-1", "reboot=t", "8250.nr_uarts=1",
            "cleanroom.seed=" + spec.EntropySeedHex,
            "cleanroom.hostname=cleanroom",
        };
        if (spec.Accelerator == Accelerator.Tcg)
        {
            // Under emulation the local APIC timer calibration alone takes about a quarter of a second; the PIT
            // serves as the tick instead. With KVM the TSC-deadline timer needs no calibration.
            words.Add("noapictimer");
            // The boot-time check that the timer interrupt arrives through the IO-APIC counts ticks against a busy
            // loop; on a loaded host the emulated CPU is too slow for it and the kernel panics ("IO-APIC + timer
            // doesn't work!", seen in CI with both cores busy). The timer works; skip the check.
            words.Add("no_timer_check");
            // The guest's TSC is the host's; told its rate, the kernel keeps the TSC as its clock instead of failing to
            // calibrate it under load and falling back to 4 ms jiffies (Host/HostTsc.cs). No watchdog second-guesses it:
            // the only other clock it could check against is those jiffies.
            if (spec.GuestTscKhz is { } khz)
            {
                words.Add("tsc_early_khz=" + khz.ToString(CultureInfo.InvariantCulture));
                words.Add("tsc=reliable");
            }
        }
        if (spec.Probe)
            words.Add("cleanroom.probe");
        if (spec.DiskPath is not null)
            words.Add("cleanroom.root=/dev/vda");
        if (spec.ResizeBlocks is { } blocks)
            words.Add("cleanroom.resize=" + blocks.ToString(CultureInfo.InvariantCulture));
        if (spec.Network is { } net)
        {
            words.Add("cleanroom.ip=" + net.GuestAddress);
            words.Add("cleanroom.gateway=" + net.Gateway);
            // The file as it is, base64 so it holds no spaces; the agent writes it as /etc/resolv.conf.
            if (net.ResolvConf is { } resolvConf)
                words.Add("cleanroom.resolv=" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(resolvConf)));
        }
        words.AddRange(AgentInitramfs.KernelParameters(GuestAgentPort));
        return string.Join(' ', words);
    }
}
