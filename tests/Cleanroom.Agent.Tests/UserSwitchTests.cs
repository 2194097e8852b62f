using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class UserSwitchTests : AgentTestBase
{
    [RootFact]
    public async Task Command_runs_as_a_numeric_uid_and_gid()
    {
        var result = await RunAsync(new ExecutionRequest(["sh", "-c", "echo $(id -u):$(id -g):$(id -G)"]) { User = "4321:8765" });

        Assert.Equal("4321:8765:8765\n", result.StdoutText);
    }

    [RootFact]
    public async Task Command_runs_as_a_named_user_from_etc_passwd()
    {
        var nobody = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "nobody");

        var result = await RunAsync(new ExecutionRequest(["sh", "-c", "echo $(id -u):$(id -g) $HOME"]) { User = "nobody" });

        Assert.Equal($"{nobody[2]}:{nobody[3]} {nobody[5]}\n", result.StdoutText);
    }

    [Fact]
    public async Task Unknown_user_fails_with_a_stable_code()
    {
        var result = await RunAsync(new ExecutionRequest(["true"]) { User = "no-such-user-7c1" });

        Assert.Equal(126, result.Status.ExitCode);
        Assert.Equal(AgentErrorCodes.UserNotFound, result.Status.Failure?.Code);
        Assert.Contains("no-such-user-7c1", result.Status.Failure?.Message);
    }
}
