namespace Cleanroom.Server.Tests;

/// <summary>
/// <c>daemon status</c> asks the server's API whether it answers (and, where systemd runs, the unit's state): exit 0
/// with a running server, 1 with the address and reason once it is gone.
/// </summary>
public sealed class DaemonStatusTests
{
    [Fact]
    public async Task Status_reports_an_answering_server_and_then_one_that_is_gone()
    {
        var server = await ServerUnderTest.StartAsync();
        string socket;
        CliResult up;
        try
        {
            socket = server.SocketPath;
            up = await server.RunCliAsync(["daemon", "status", "--host", $"unix://{socket}"]);
        }
        finally
        {
            await server.DisposeAsync();
        }
        var down = await server.RunCliAsync(["daemon", "status", "--host", $"unix://{socket}"]);

        Assert.Contains($"api:       answering on unix://{socket}", up.Out);
        Assert.Contains($"api:       not answering on unix://{socket}", down.Out);
        Assert.Equal(1, down.ExitCode);
        if (!Directory.Exists("/run/systemd/system"))
        {
            Assert.Contains("service:   systemd is not running on this host", up.Out);
            Assert.True(up.ExitCode == 0, up.Error);
        }
    }
}
