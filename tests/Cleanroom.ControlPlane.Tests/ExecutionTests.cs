using Cleanroom.TestDoubles;
using System.Text;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class ExecutionTests
{
    [Fact]
    public async Task Real_process_exit_codes_decide_success_and_failure()
    {
        await using var h = await StartAsync(new HostProcessBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);

        var ok = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sh", "-c", "exit 0"), CancellationToken.None);
        var bad = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sh", "-c", "exit 3"), CancellationToken.None);

        var okEnd = await h.Control.WaitForExecutionAsync(ok.Id, CancellationToken.None);
        var badEnd = await h.Control.WaitForExecutionAsync(bad.Id, CancellationToken.None);
        Assert.Equal((ExecutionStatus.Succeeded, 0), (okEnd.Status, okEnd.ExitCode));
        Assert.Equal((ExecutionStatus.Failed, 3), (badEnd.Status, badEnd.ExitCode));
        Assert.Null(badEnd.FailureMessage);
        Assert.NotNull(badEnd.FinishedAt);
    }

    [Fact]
    public async Task Stdin_written_through_the_control_plane_reaches_the_process()
    {
        await using var h = await StartAsync(new HostProcessBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);
        var request = new CreateExecutionRequest(sandbox.Id, new ExecutionSpec { Argv = ["/bin/cat"], Stdin = true });

        var execution = await h.Control.CreateExecutionAsync(request, CancellationToken.None);
        await h.Control.WriteStdinAsync(execution.Id, Encoding.UTF8.GetBytes("hello from stdin"), CancellationToken.None);
        await h.Control.CloseStdinAsync(execution.Id, CancellationToken.None);

        var items = await CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));
        Assert.Equal("hello from stdin", Text(items, OutputStream.Stdout));
        Assert.Equal(ExecutionStatus.Succeeded, ((ExecutionExited)items[^1]).Execution.Status);
    }

    [Fact]
    public async Task Stdin_is_refused_for_an_execution_created_without_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "sleep"), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WriteStdinAsync(execution.Id, new byte[] { 1 }, CancellationToken.None));
        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public async Task Cancel_sends_sigterm_then_sigkill_after_the_grace_period()
    {
        var backend = new ScriptedBackend { ExecutionsIgnoreSigterm = true };
        await using var h = await StartAsync(backend, grace: TimeSpan.FromSeconds(5));
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "stubborn"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        var afterCancel = await h.Control.CancelExecutionAsync(execution.Id, CancellationToken.None);
        await process.SignalReceived(SignalNumbers.Terminate);
        Assert.Equal(ExecutionStatus.Running, afterCancel.Status);
        h.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal([SignalNumbers.Terminate], process.Signals);
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var ended = await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        Assert.Equal([SignalNumbers.Terminate, SignalNumbers.Kill], process.Signals);
        Assert.Equal(ExecutionStatus.Canceled, ended.Status);
        Assert.Equal(137, ended.ExitCode);
        Assert.Equal(SignalNumbers.Kill, ended.Signal);
    }

    [Fact]
    public async Task Cancel_of_a_process_that_obeys_sigterm_needs_no_sigkill()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "polite"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        await h.Control.CancelExecutionAsync(execution.Id, CancellationToken.None);
        var ended = await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal((ExecutionStatus.Canceled, 143, SignalNumbers.Terminate), (ended.Status, ended.ExitCode, ended.Signal));
        Assert.Equal([SignalNumbers.Terminate], process.Signals);
    }

    [Fact]
    public async Task Timeout_stops_the_execution_and_records_timed_out()
    {
        var backend = new ScriptedBackend { ExecutionsIgnoreSigterm = true };
        await using var h = await StartAsync(backend, grace: TimeSpan.FromSeconds(2));
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var request = new CreateExecutionRequest(sandbox.Id, new ExecutionSpec { Argv = ["slow"], Timeout = TimeSpan.FromSeconds(30) });
        var execution = await h.Control.CreateExecutionAsync(request, CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        h.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(process.Signals);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await process.SignalReceived(SignalNumbers.Terminate);
        h.Time.Advance(TimeSpan.FromSeconds(2));

        var ended = await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        Assert.Equal(ExecutionStatus.TimedOut, ended.Status);
        Assert.Equal(137, ended.ExitCode);
        Assert.Contains("timed out", ended.FailureMessage);
    }

    [Fact]
    public async Task Cancel_of_a_real_sleeping_process_ends_it()
    {
        await using var h = await StartAsync(new HostProcessBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sleep", "600"), CancellationToken.None);

        await h.Control.CancelExecutionAsync(execution.Id, CancellationToken.None);
        var ended = await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal((ExecutionStatus.Canceled, 143, SignalNumbers.Terminate), (ended.Status, ended.ExitCode, ended.Signal));
    }

    [Fact]
    public async Task Start_failure_is_recorded_as_failed_with_the_reason()
    {
        var backend = new ScriptedBackend { StartFailure = "agent not reachable" };
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "x"), CancellationToken.None);

        Assert.Equal(ExecutionStatus.Failed, execution.Status);
        Assert.Null(execution.ExitCode);
        Assert.Contains("agent not reachable", execution.FailureMessage);
    }

    [Fact]
    public async Task Malformed_execution_requests_are_refused()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        async Task Refused(ExecutionSpec spec) =>
            Assert.Equal(ErrorCode.InvalidArgument, (await Assert.ThrowsAsync<CleanroomException>(() =>
                h.Control.CreateExecutionAsync(new CreateExecutionRequest(sandbox.Id, spec), CancellationToken.None))).Code);

        await Refused(new ExecutionSpec { Argv = [] });
        await Refused(new ExecutionSpec { Argv = ["x"], Env = [new("A", "1"), new("A", "2")] });
        await Refused(new ExecutionSpec { Argv = ["x"], Cwd = "relative/dir" });
        await Refused(new ExecutionSpec { Argv = ["x"], Timeout = TimeSpan.Zero });
    }

    [Fact]
    public async Task Shutdown_kills_running_executions_and_records_them_failed()
    {
        var backend = new ScriptedBackend { ExecutionsIgnoreSigterm = true };
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "forever"), CancellationToken.None);

        await h.RestartAsync();

        var ended = await h.Control.GetExecutionAsync(execution.Id, CancellationToken.None);
        Assert.Equal(ExecutionStatus.Failed, ended.Status);
        Assert.Equal(137, ended.ExitCode);
        Assert.Equal(RestartReconciliation.ExecutionInterruptedMessage, ended.FailureMessage);
    }
}
