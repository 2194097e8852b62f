using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Tests;

public sealed class ServerSettingsTests
{
    [Fact]
    public void A_backend_section_is_handed_over_as_a_json_object_of_its_settings()
    {
        var config = RuntimeConfigReader.Parse("""
            backends:
              qemu:
                min_vcpus: 2
                accel: tcg
            """).Configuration!;
        var settings = new ServerSettings(config);

        // Stored with each sandbox (runtime_config_json): the same text as before, keys in order.
        Assert.Equal("""{"accel":"tcg","min_vcpus":"2"}""", settings.BackendSection("qemu")!.Value.GetRawText());
        Assert.Equal("{}", settings.BackendSection("gvisor")!.Value.GetRawText());
    }
}
