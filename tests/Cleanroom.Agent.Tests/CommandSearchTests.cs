using Cleanroom.Agent.ExecHelper;
using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Tests;

public class CommandSearchTests
{
    [Fact]
    public void Command_with_a_slash_is_used_as_given()
    {
        Assert.Equal(["./run.sh"], CommandSearch.Candidates("./run.sh", ["PATH=/bin"]));
    }

    [Fact]
    public void Command_is_searched_on_the_commands_own_PATH()
    {
        Assert.Equal(["/opt/bin/npm", "/usr/bin/npm", "./npm"], CommandSearch.Candidates("npm", ["HOME=/", "PATH=/opt/bin:/usr/bin/:"]));
    }

    [Fact]
    public void Without_PATH_the_standard_path_is_searched()
    {
        Assert.Equal(CommandSearch.DefaultPath.Split(':').Select(d => d + "/ls"), CommandSearch.Candidates("ls", []));
    }

    [Theory]
    [InlineData(0x0000, 0, null)]    // exit 0
    [InlineData(0x2a00, 42, null)]   // exit 42
    [InlineData(0x0009, 137, 9)]     // killed by SIGKILL
    [InlineData(0x008b, 139, 11)]    // SIGSEGV with core dump
    public void Wait_status_follows_the_shell_convention(int raw, int exitCode, int? signal)
    {
        var status = new WaitStatus(raw);

        Assert.Equal(exitCode, status.ShellExitCode);
        Assert.Equal(signal, status.Signaled ? status.TermSignal : null);
    }
}
