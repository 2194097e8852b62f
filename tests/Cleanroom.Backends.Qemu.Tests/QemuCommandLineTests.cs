using Cleanroom.Backends.Qemu.Vm;

namespace Cleanroom.Backends.Qemu.Tests;

/// <summary>The QEMU argv and kernel command line, without QEMU: the choices that made boots fast and reliable.</summary>
public sealed class QemuCommandLineTests
{
    private static VmLaunchSpec Spec(Accelerator accelerator = Accelerator.Tcg) => new()
    {
        SandboxId = "abc",
        QemuBinary = "qemu-system-x86_64",
        Accelerator = accelerator,
        Vcpus = 2,
        MemoryMib = 512,
        KernelPath = "/k/vmlinux",
        InitramfsPath = "/c/init.cpio.gz",
        ConsoleLogPath = "/run/s/cleanroom-abc/console.log",
        PidFilePath = "/run/s/cleanroom-abc/qemu.pid",
        DiskPath = "/run/s/cleanroom-abc/disk.qcow2",
        ResizeBlocks = 1000,
        EntropySeedHex = "00FF",
        GuestTscKhz = 2596122,
    };

    [Fact]
    public void Every_word_the_kernel_passes_to_init_is_free_of_dots()
    {
        // The kernel drops unknown words containing a dot (it takes them for module options), so a dotted word
        // meant for init would silently vanish; our own dotted settings are read from /proc/cmdline instead.
        var words = QemuCommandLine.KernelCommandLine(Spec()).Split(' ');
        var forInit = words.Where(w => !w.Contains('=') || w.StartsWith("LD_LIBRARY_PATH=", StringComparison.Ordinal)).Where(w => w is not ("quiet" or "noapictimer" or "no_timer_check")).ToList();
        Assert.Equal(["LD_LIBRARY_PATH=/.cleanroom/lib", "--init", "--serial", QemuCommandLine.GuestAgentPort], forInit);
        Assert.DoesNotContain("--", words); // QEMU appends its virtio-mmio devices after ours; they must stay kernel parameters
        Assert.Contains("cleanroom.root=/dev/vda", words);
        Assert.Contains("cleanroom.resize=1000", words);
        Assert.Contains("cleanroom.seed=00FF", words);
    }

    [Fact]
    public void Emulated_boots_skip_the_APIC_timer_calibration_and_check_and_KVM_boots_keep_them()
    {
        Assert.Contains("noapictimer", QemuCommandLine.KernelCommandLine(Spec(Accelerator.Tcg)).Split(' '));
        Assert.Contains("no_timer_check", QemuCommandLine.KernelCommandLine(Spec(Accelerator.Tcg)).Split(' '));
        Assert.DoesNotContain("noapictimer", QemuCommandLine.KernelCommandLine(Spec(Accelerator.Kvm)).Split(' '));
        Assert.DoesNotContain("no_timer_check", QemuCommandLine.KernelCommandLine(Spec(Accelerator.Kvm)).Split(' '));
    }

    [Fact]
    public void Emulated_boots_are_told_the_hosts_TSC_rate_and_KVM_boots_are_not()
    {
        var tcg = QemuCommandLine.KernelCommandLine(Spec(Accelerator.Tcg)).Split(' ');
        Assert.Contains("tsc_early_khz=2596122", tcg);
        Assert.Contains("tsc=reliable", tcg);
        var kvm = QemuCommandLine.KernelCommandLine(Spec(Accelerator.Kvm)).Split(' ');
        Assert.DoesNotContain(kvm, w => w.StartsWith("tsc", StringComparison.Ordinal));
        var unknown = QemuCommandLine.KernelCommandLine(Spec(Accelerator.Tcg) with { GuestTscKhz = null }).Split(' ');
        Assert.DoesNotContain(unknown, w => w.StartsWith("tsc", StringComparison.Ordinal));
    }

    [Fact]
    public void The_TSC_rate_comes_from_bogomips_only_when_the_TSC_is_constant()
    {
        const string Entry = "processor\t: 0\nflags\t\t: fpu tsc msr constant_tsc nonstop_tsc\nbogomips\t: 5192.24\n\nprocessor\t: 1\nbogomips\t: 1.00\n";
        Assert.Equal(2596120, Host.HostTsc.FromCpuinfo(Entry));
        Assert.Null(Host.HostTsc.FromCpuinfo(Entry.Replace(" constant_tsc", "", StringComparison.Ordinal)));
        Assert.Null(Host.HostTsc.FromCpuinfo("processor\t: 0\nflags\t\t: tsc constant_tsc\n"));
    }

    [Fact]
    public void The_machine_keeps_rtc_and_pic_and_has_no_default_devices_or_network()
    {
        var argv = QemuCommandLine.Argv(Spec());
        var machine = argv[argv.ToList().IndexOf("-machine") + 1];
        Assert.StartsWith("microvm,", machine);
        Assert.Contains("rtc=on", machine);
        Assert.DoesNotContain("pic=off", machine);
        Assert.Contains("-nodefaults", argv);
        Assert.Contains("-no-reboot", argv);
        Assert.DoesNotContain(argv, a => a.StartsWith("virtio-net", StringComparison.Ordinal) || a == "-netdev");
        Assert.Equal("cleanroom-abc", argv[argv.ToList().IndexOf("-name") + 1]);
        Assert.StartsWith("on,", argv[argv.ToList().IndexOf("-sandbox") + 1]);
    }

    [Fact]
    public void A_network_attachment_runs_QEMU_in_the_namespace_with_a_virtio_net_device_on_the_tap()
    {
        var argv = QemuCommandLine.Argv(Spec() with { Network = new GuestNetworkAttachment("/run/netns/cr-abc", "tap-abc", "10.0.0.2/30", "10.0.0.1", null) });
        Assert.Equal(["nsenter", "--net=/run/netns/cr-abc", "--", "qemu-system-x86_64"], argv.Take(4));
        Assert.Contains("tap,id=net,ifname=tap-abc,script=no,downscript=no", argv);
        Assert.Contains("virtio-net-device,netdev=net", argv);
    }

    [Fact]
    public void The_guest_gets_its_address_gateway_and_resolv_conf_on_the_kernel_command_line()
    {
        var line = QemuCommandLine.KernelCommandLine(Spec() with
        {
            Network = new GuestNetworkAttachment("/run/netns/cr-abc", "tap0", "10.0.0.2/30", "10.0.0.1", "nameserver 10.0.0.1\noptions attempts:2\n"),
        });
        var words = line.Split(' ');
        Assert.Contains("cleanroom.ip=10.0.0.2/30", words);
        Assert.Contains("cleanroom.gateway=10.0.0.1", words);
        var resolv = words.Single(w => w.StartsWith("cleanroom.resolv=", StringComparison.Ordinal))["cleanroom.resolv=".Length..];
        Assert.Equal("nameserver 10.0.0.1\noptions attempts:2\n", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(resolv)));
    }
}
