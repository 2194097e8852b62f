using System.Diagnostics;
using Cleanroom.Backends.Qemu.Boot;
using Cleanroom.Backends.Qemu.Disks;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Tests;

public sealed class DiskAndInitramfsTests
{
    private static readonly Ext4Image Image = new("/c/ext4/x.ext4", 1L << 30);

    [Fact]
    public void No_disk_request_uses_the_images_own_size_without_growing()
    {
        Assert.Equal(new SandboxDiskPlan(1L << 30, null), SandboxDisk.Plan(Image, null));
    }

    [Fact]
    public void A_larger_request_grows_to_whole_blocks_of_it()
    {
        var plan = SandboxDisk.Plan(Image, (2L << 30) + 100);
        Assert.Equal(new SandboxDiskPlan(2L << 30, (2L << 30) / 4096), plan);
    }

    [Fact]
    public void A_request_below_the_image_is_refused()
    {
        var error = Assert.Throws<CleanroomException>(() => SandboxDisk.Plan(Image, 1L << 20));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public void The_cpio_writer_makes_an_archive_the_cpio_tool_lists_with_nodes_links_and_files()
    {
        using var buffer = new MemoryStream();
        var writer = new CpioWriter(buffer);
        writer.Directory("dev");
        writer.CharacterDevice("dev/console", 0x180, 5, 1);
        writer.File("hello", "hi\n"u8, 0x1a4);
        writer.Symlink("init", "hello");
        writer.Finish();
        Assert.Equal(0, buffer.Length % 4);

        var info = new ProcessStartInfo("cpio", "-itv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var cpio = Process.Start(info)!;
        cpio.StandardInput.BaseStream.Write(buffer.ToArray());
        cpio.StandardInput.Close();
        var listing = cpio.StandardOutput.ReadToEnd();
        cpio.WaitForExit();
        Assert.Equal(0, cpio.ExitCode);
        var lines = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("drwxr-xr-x", lines[0]);
        Assert.StartsWith("crw-------", lines[1]);
        Assert.Contains("5,   1", lines[1]);
        Assert.StartsWith("-rw-r--r--", lines[2]);
        Assert.EndsWith("init -> hello", lines[3]);
    }
}
