using System.Globalization;
using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu.Tests.Support;

namespace Cleanroom.Backends.Qemu.Tests;

/// <summary>What only a VM backend shows: its own kernel, its own sizes, its own init's work.</summary>
[Collection(QemuCollection.Name)]
[BackendRequirements(typeof(QemuRequirements))]
public sealed class GuestMachineTests(QemuAssets assets) : IAsyncLifetime
{
    private readonly QemuTestHost _host = new(assets);
    private readonly List<IProvisionedSandbox> _sandboxes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var sandbox in _sandboxes)
            await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [BackendFact]
    public async Task Commands_run_on_the_guest_kernel_not_the_hosts()
    {
        var sandbox = await ProvisionAsync(_host.Backend());
        var guest = await GuestRun.StdoutAsync(sandbox, "uname -a");
        var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        Assert.DoesNotContain(hostRelease, guest);
        // The config the kernel was built from sits beside it; its version line names the release uname reports.
        var builtRelease = File.ReadLines(Path.Combine(Path.GetDirectoryName(assets.KernelPath)!, "config"))
            .First(l => l.Contains("Linux/x86", StringComparison.Ordinal)).Split(' ')[2];
        Assert.Contains($"Linux cleanroom {builtRelease}", guest);
    }

    [BackendFact]
    public async Task The_emulated_guest_keeps_the_TSC_as_its_clock_rather_than_jiffies()
    {
        // Told the host's TSC rate, the guest never needs to calibrate (which fails under load) and never falls back to
        // the 4 ms jiffies clock. Hosts without a constant TSC give no rate; every x86-64 host these tests run on has one.
        Assert.NotNull(Host.HostTsc.Khz);
        var sandbox = await ProvisionAsync(_host.Backend());
        var clock = (await GuestRun.StdoutAsync(sandbox, "cat /sys/devices/system/clocksource/clocksource0/current_clocksource")).Trim();
        Assert.Contains(clock, new[] { "tsc", "tsc-early" });
        Assert.Contains($"tsc_early_khz={Host.HostTsc.Khz}", await GuestRun.StdoutAsync(sandbox, "cat /proc/cmdline"));
    }

    [BackendFact]
    public async Task Init_mounts_what_programs_expect_and_names_the_host()
    {
        var sandbox = await ProvisionAsync(_host.Backend());
        var mounts = await GuestRun.StdoutAsync(sandbox, "cat /proc/mounts");
        foreach (var (type, point) in new[] { ("ext4", "/"), ("proc", "/proc"), ("sysfs", "/sys"), ("devtmpfs", "/dev"), ("devpts", "/dev/pts"), ("tmpfs", "/tmp") })
            Assert.Contains($" {point} {type} ", mounts);
        Assert.Equal("cleanroom\n", await GuestRun.StdoutAsync(sandbox, "hostname"));
        // The agent's own files are reachable in the image's root, read-only.
        Assert.Equal("ro\n", await GuestRun.StdoutAsync(sandbox, "grep ' /.cleanroom ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"));
    }

    [BackendFact]
    public async Task QEMU_drops_to_the_configured_unprivileged_user()
    {
        var sandbox = (Sandbox.QemuSandbox)await ProvisionAsync(_host.Backend());
        var uids = File.ReadLines($"/proc/{sandbox.QemuPid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal(["65534", "65534", "65534", "65534"], uids.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1..]);
        Assert.Equal("still-works\n", await GuestRun.StdoutAsync(sandbox, "echo still-works > /workspace/f; cat /workspace/f"));
    }

    [BackendFact]
    public async Task Vcpus_and_memory_follow_the_resources_raised_to_the_configured_minimums()
    {
        var backend = _host.Backend(QemuSettings.Default with { Accelerator = AcceleratorChoice.Tcg, MinVcpus = 2, MinMemoryMib = 384 });
        var sandbox = await ProvisionAsync(backend, new SandboxResources(Vcpus: 1, MemoryBytes: 128L << 20, DiskBytes: null));
        Assert.Equal("2\n", await GuestRun.StdoutAsync(sandbox, "grep -c ^processor /proc/cpuinfo"));
        var totalKib = long.Parse((await GuestRun.StdoutAsync(sandbox, "awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(totalKib, 300L * 1024, 384L * 1024);
    }

    [BackendFact]
    public async Task A_larger_disk_request_grows_the_root_file_system_and_writes_beyond_the_image_fit()
    {
        var backend = _host.Backend();
        var small = await ProvisionAsync(backend);
        var imageKib = RootSizeKib(await GuestRun.StdoutAsync(small, "df -k /"));
        var requested = (imageKib * 1024) + (512L << 20);
        var large = await ProvisionAsync(backend, new SandboxResources(null, null, requested));
        var grownKib = RootSizeKib(await GuestRun.StdoutAsync(large, "df -k /"));
        Assert.InRange(grownKib, imageKib + (500 * 1024), imageKib + (520 * 1024));
    }

    [BackendFact]
    public async Task A_disk_smaller_than_the_image_is_refused_and_leaves_nothing()
    {
        var backend = _host.Backend();
        var spec = _host.Spec(new SandboxResources(null, null, 16L << 20));
        var error = await Assert.ThrowsAsync<Errors.CleanroomException>(() => backend.ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(Errors.ErrorCode.InvalidArgument, error.Code);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    private async Task<IProvisionedSandbox> ProvisionAsync(QemuBackend backend, SandboxResources? resources = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var sandbox = await backend.ProvisionAsync(_host.Spec(resources), deadline.Token);
        _sandboxes.Add(sandbox);
        return sandbox;
    }

    // df -k: "Filesystem 1K-blocks Used Available Use% Mounted on" then one line for /.
    private static long RootSizeKib(string df) =>
        long.Parse(df.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
