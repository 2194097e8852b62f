namespace Cleanroom.Cli.Tests;

public sealed class RootCommandTests
{
    private static readonly Dictionary<string, string> NoEnv = new() { ["HOME"] = "/nonexistent" };

    [Fact]
    public async Task Help_lists_every_verb()
    {
        var run = await CliRun.InvokeAsync("/", NoEnv, "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var verb in CliApplication.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, _ => null, "/")).Subcommands)
        {
            Assert.Contains(verb.Name, run.Out);
        }

        Assert.Contains("policy", run.Out);
        Assert.Contains("config", run.Out);
        Assert.Contains("version", run.Out);
    }

    [Fact]
    public async Task Version_prints_the_binary_version()
    {
        var run = await CliRun.InvokeAsync("/", NoEnv, "version");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^cleanroom \d+\.\d+\.\d+", run.Out);
    }

    [Fact]
    public async Task An_unknown_flag_is_a_usage_error_with_exit_2()
    {
        var run = await CliRun.InvokeAsync("/", NoEnv, "policy", "validate", "--frobnicate");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--frobnicate", run.Error);
    }
}
