using System.Diagnostics;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>sandbox_lifecycle.idle_suspend_after_seconds: 2</c>: a sandbox nothing uses is suspended by the server on its own,
/// and the next command wakes it and runs. The wait is on the sandbox's event stream, with a deadline.
/// </summary>
public sealed class IdleSuspendEndToEndTests : IAsyncLifetime
{
    private RealServer _server = null!;
    private string _repository = null!;

    public async Task InitializeAsync()
    {
        _server = await RealServer.StartAsync(configYaml:
            "backends:\n  gvisor:\n    network_stack: sandbox\nsandbox_lifecycle:\n  idle_suspend_after_seconds: 2\n  wake_timeout_seconds: 30\n");
        _repository = await SuspendRepository.WriteAsync(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_idle_sandbox_is_suspended_after_two_seconds_and_the_next_command_wakes_it()
    {
        var create = await _server.CleanroomAsync("create", "--chdir", _repository);
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();
        Assert.Equal(0, (await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "echo idle > /root/note")).ExitCode);

        await WaitForEventAsync(id, "sandbox SUSPENDED", TimeSpan.FromSeconds(30));
        Assert.Empty(SandboxProcesses.Of(id));

        var exec = await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/note");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        Assert.Equal("idle\n", exec.Stdout);
        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", id)).ExitCode);
    }

    /// <summary>Follows <c>sandbox events --follow --json</c> until a line contains <paramref name="text"/>, or fails at the deadline.</summary>
    private async Task WaitForEventAsync(string id, string text, TimeSpan deadline)
    {
        var start = new ProcessStartInfo(Product.Cleanroom, ["sandbox", "events", id, "--follow", "--json"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in _server.Environment)
            start.Environment[key] = value;
        using var events = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            while (await events.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                    return;
            }
            Assert.Fail($"the event stream ended without {text}");
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no event with {text} within {deadline.TotalSeconds:0} s");
        }
        finally
        {
            if (!events.HasExited)
                events.Kill();
        }
    }
}
