using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Tests;

public sealed class QemuSettingsTests
{
    [Fact]
    public void The_servers_section_sets_every_knob_and_empty_values_keep_the_defaults()
    {
        var settings = QemuSettings.From(new Dictionary<string, string>
        {
            ["binary_path"] = "/opt/qemu", ["accel"] = "tcg", ["kernel"] = "", ["min_vcpus"] = "2", ["min_memory_mib"] = "1024",
        });
        Assert.Equal(new QemuSettings { BinaryPath = "/opt/qemu", Accelerator = AcceleratorChoice.Tcg, MinVcpus = 2, MinMemoryMib = 1024 }, settings);
    }

    [Fact]
    public void A_sandbox_section_can_raise_sizes_but_never_change_the_binary_kernel_or_accelerator()
    {
        var section = JsonDocument.Parse("""{"min_vcpus":"4","binary_path":"/tmp/evil","kernel":"/tmp/evil","accel":"kvm"}""").RootElement;
        var settings = QemuSettings.Default.WithSandboxSection(section);
        Assert.Equal(QemuSettings.Default with { MinVcpus = 4 }, settings);
    }

    [Theory]
    [InlineData("accel", "fast")]
    [InlineData("min_vcpus", "0")]
    [InlineData("min_memory_mib", "-1")]
    public void Invalid_values_fail_with_config_invalid(string name, string value)
    {
        var error = Assert.Throws<CleanroomException>(() => QemuSettings.From(new Dictionary<string, string> { [name] = value }));
        Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
        Assert.Contains($"backends.qemu.{name}", error.Message);
    }
}
