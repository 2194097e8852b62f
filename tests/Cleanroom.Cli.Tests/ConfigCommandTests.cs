namespace Cleanroom.Cli.Tests;

public sealed class ConfigCommandTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private Dictionary<string, string> Env => new() { ["HOME"] = _home.Path, ["XDG_CONFIG_HOME"] = Path.Combine(_home.Path, "cfg") };

    private string ConfigFile => Path.Combine(_home.Path, "cfg", "cleanroom", "config.yaml");

    [Fact]
    public async Task Init_writes_a_valid_commented_config_and_refuses_to_overwrite_without_force()
    {
        var first = await CliRun.InvokeAsync(_home.Path, Env, "config", "init");
        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("#", File.ReadAllText(ConfigFile));

        File.AppendAllText(ConfigFile, "# operator edit\n");
        var second = await CliRun.InvokeAsync(_home.Path, Env, "config", "init");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("--force", second.Error);
        Assert.Contains("operator edit", File.ReadAllText(ConfigFile));

        var forced = await CliRun.InvokeAsync(_home.Path, Env, "config", "init", "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.DoesNotContain("operator edit", File.ReadAllText(ConfigFile));

        var validate = await CliRun.InvokeAsync(_home.Path, Env, "config", "validate");
        Assert.Equal(0, validate.ExitCode);
    }

    [Fact]
    public async Task Validate_fails_on_an_unknown_field_naming_its_path()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigFile)!);
        File.WriteAllText(ConfigFile, "backends:\n  gvisor:\n    platfrom: ptrace\n");

        var run = await CliRun.InvokeAsync(_home.Path, Env, "config", "validate", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("backends.gvisor.platfrom", run.Out);
        Assert.Contains("\"line\":3", run.Out);
    }

    [Fact]
    public async Task Path_prints_the_xdg_config_location()
    {
        var run = await CliRun.InvokeAsync(_home.Path, Env, "config", "path");

        Assert.Equal(ConfigFile, run.Out.Trim());
    }
}
