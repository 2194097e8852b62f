using System.Diagnostics;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>Ctrl-C on <c>cleanroom exec</c>: the first cancels the execution in the sandbox, and exec exits 130.</summary>
public sealed class InterruptTests : IAsyncLifetime
{
    private RealServer _server = null!;

    public async Task InitializeAsync() => _server = await RealServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_first_interrupt_cancels_the_execution_and_exec_exits_130()
    {
        var start = new ProcessStartInfo(Product.Cleanroom) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"), "--", "sh", "-c", "echo started; sleep 120" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in _server.Environment)
        {
            start.Environment[name] = value;
        }

        using var exec = Process.Start(start)!;
        var stderr = exec.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal("started", await exec.StandardOutput.ReadLineAsync(deadline.Token));

        await Shell.CheckAsync("kill", "-INT", exec.Id.ToString());
        await exec.WaitForExitAsync(deadline.Token);

        Assert.Equal(130, exec.ExitCode);
        Assert.Contains("canceling the execution", await stderr);
        var inspect = await _server.CleanroomAsync("execution", "inspect", "--last", "--json");
        Assert.Contains("EXECUTION_STATUS_CANCELED", inspect.Stdout);
    }
}
