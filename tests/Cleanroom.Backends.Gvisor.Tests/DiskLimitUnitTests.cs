using System.Text.Json;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Backends.Gvisor.Interop;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>The pure parts of disk limits: the size decision, the setting, the interop layouts, names. No root needed.</summary>
public sealed class DiskLimitUnitTests
{
    private const long MiB = 1L << 20, GiB = 1L << 30;

    // A 100 GiB file system: 5 GiB of it is the host's reserve.
    private static FileSystemSpace Host(long availableBytes) => new(100 * GiB, availableBytes, 100 * GiB - availableBytes, 1);

    [Fact]
    public void The_policy_size_is_used_when_the_host_can_spare_it()
    {
        Assert.Equal(new DiskLimit(256 * MiB, null), DiskLimit.Decide(256 * MiB, 10 * GiB, "/r", Host(50 * GiB)));
    }

    [Fact]
    public void Without_a_policy_size_the_default_applies()
    {
        Assert.Equal(new DiskLimit(10 * GiB, null), DiskLimit.Decide(null, 10 * GiB, "/r", Host(50 * GiB)));
    }

    [Fact]
    public void Sizes_are_whole_MiB()
    {
        Assert.Equal(20 * MiB, DiskLimit.Decide(20 * MiB + 4095, 10 * GiB, "/r", Host(50 * GiB)).Bytes);
    }

    [Fact]
    public void A_size_larger_than_the_host_can_spare_is_capped_to_what_it_can_and_says_what_was_wanted()
    {
        // 8 GiB free minus the 5 GiB reserve of a 100 GiB file system: 3 GiB.
        var limit = DiskLimit.Decide(null, 10 * GiB, "/r", Host(8 * GiB));
        Assert.Equal(new DiskLimit(3 * GiB, 10 * GiB), limit);
        Assert.Equal(3 * GiB, DiskLimit.Decide(50 * GiB, 10 * GiB, "/r", Host(8 * GiB)).Bytes);
    }

    [Fact]
    public void The_hosts_reserve_is_five_percent_and_at_least_one_GiB()
    {
        Assert.Equal(3 * GiB, DiskLimit.Spare(100 * GiB, 8 * GiB));
        Assert.Equal(1 * GiB, DiskLimit.Spare(10 * GiB, 2 * GiB));
        Assert.Equal(0, DiskLimit.Spare(10 * GiB, 512 * MiB));
    }

    [Fact]
    public void A_host_that_cannot_spare_even_the_smallest_disk_refuses_with_disk_limit_unavailable_naming_the_place_and_the_fix()
    {
        var error = Assert.Throws<CleanroomException>(() => DiskLimit.Decide(null, 10 * GiB, "/var/cache/cleanroom/sandboxes", Host(5 * GiB + MiB)));
        Assert.Equal(ErrorCode.DiskLimitUnavailable, error.Code);
        Assert.Contains("/var/cache/cleanroom/sandboxes", error.Message);
        Assert.Contains("free space", error.Message);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(15L << 20)]
    public void A_policy_size_under_the_minimum_is_an_invalid_argument(long bytes)
    {
        var error = Assert.Throws<CleanroomException>(() => DiskLimit.Decide(bytes, 10 * GiB, "/r", Host(50 * GiB)));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("16 MiB", error.Message);
    }

    [Fact]
    public void The_default_disk_comes_from_default_disk_mib_and_is_ten_GiB_without_it()
    {
        Assert.Equal(10 * GiB, GvisorSettings.Default.DefaultDiskBytes);
        Assert.Equal(2 * GiB, GvisorSettings.From(new Dictionary<string, string> { ["default_disk_mib"] = "2048" }).DefaultDiskBytes);
    }

    [Theory]
    [InlineData("15")]
    [InlineData("0")]
    [InlineData("10GiB")]
    [InlineData("-5")]
    public void A_default_disk_under_16_MiB_or_not_a_number_is_config_invalid(string value)
    {
        var error = Assert.Throws<CleanroomException>(() => GvisorSettings.From(new Dictionary<string, string> { ["default_disk_mib"] = value }));
        Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
        Assert.Contains("default_disk_mib", error.Message);
    }

    [Fact]
    public void A_sandbox_section_cannot_change_the_hosts_default_disk()
    {
        var section = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["default_disk_mib"] = "999999" });
        Assert.Equal(10 * GiB, GvisorSettings.Default.WithSandboxSection(section).DefaultDiskBytes);
    }

    [Fact]
    public void The_capability_map_claims_disk_limits()
    {
        Assert.True(GvisorCapabilities.Map.Supports(CapabilityNames.DiskLimit));
    }

    [Fact]
    public unsafe void Interop_structs_have_the_kernels_sizes()
    {
        Assert.Equal(232, sizeof(LibC.LoopInfo64));
        Assert.Equal(304, sizeof(LibC.LoopConfig));
        Assert.Equal(120, sizeof(LibC.StatFs));
    }

    [Theory]
    [InlineData("/run/x", "/run/x")]
    [InlineData(@"/run/with\040space", "/run/with space")]
    [InlineData(@"/run/tab\011and\134backslash", "/run/tab\tand\\backslash")]
    [InlineData(@"/run/not\9escape", @"/run/not\9escape")]
    public void Mount_points_are_unescaped_as_the_kernel_escapes_them(string field, string path)
    {
        Assert.Equal(path, Cleanroom.HostProcesses.MountTable.Unescape(field));
    }

    [Theory]
    [InlineData("/sbx/cleanroom-abc/upper", "abc")]
    [InlineData("/sbx/cleanroom-abc/disk.img", "abc")]
    [InlineData("/sbx/cleanroom-abc", null)]
    [InlineData("/sbx/other/upper", null)]
    [InlineData("/sbxother/cleanroom-abc/upper", null)]
    [InlineData("/elsewhere/cleanroom-abc/upper", null)]
    public void Leftover_disks_are_recognised_by_the_run_directory_they_are_in(string path, string? sandboxId)
    {
        Assert.Equal(sandboxId, DiskLeftovers.SandboxIdOf("/sbx", path));
    }
}
