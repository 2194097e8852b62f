using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public sealed class HostDirectoriesTests
{
    [Fact]
    public void Xdg_variables_place_each_directory_under_cleanroom()
    {
        var env = new Dictionary<string, string>
        {
            ["HOME"] = "/home/ada",
            ["XDG_CONFIG_HOME"] = "/cfg",
            ["XDG_STATE_HOME"] = "/state",
            ["XDG_DATA_HOME"] = "/data",
            ["XDG_CACHE_HOME"] = "/cache",
            ["XDG_RUNTIME_DIR"] = "/run/user/1000",
        };

        var dirs = HostDirectories.FromEnvironment(name => env.GetValueOrDefault(name));

        Assert.Equal(new HostDirectories("/cfg/cleanroom", "/state/cleanroom", "/data/cleanroom", "/cache/cleanroom", "/run/user/1000/cleanroom"), dirs);
        Assert.Equal("/cfg/cleanroom/config.yaml", dirs.ConfigFile);
    }

    [Fact]
    public void Unset_or_relative_xdg_variables_fall_back_to_home()
    {
        var env = new Dictionary<string, string> { ["HOME"] = "/home/ada", ["XDG_CONFIG_HOME"] = "relative/dir" };

        var dirs = HostDirectories.FromEnvironment(name => env.GetValueOrDefault(name));

        Assert.Equal("/home/ada/.config/cleanroom", dirs.ConfigHome);
        Assert.Equal("/home/ada/.local/state/cleanroom", dirs.StateHome);
        Assert.Equal("/home/ada/.local/share/cleanroom", dirs.DataHome);
        Assert.Equal("/home/ada/.cache/cleanroom", dirs.CacheHome);
    }
}
