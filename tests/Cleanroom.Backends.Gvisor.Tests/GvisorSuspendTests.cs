using System.Diagnostics;
using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>Suspend (runsc checkpoint) and resume (runsc restore) of real gVisor sandboxes.</summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorSuspendTests(GvisorAssets assets) : IAsyncLifetime
{
    private const string Counter = "echo kept > /root/file; (i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done) > /dev/null 2>&1 &";

    // Waits inside the sandbox until the counter has moved past what it is now, then prints both values.
    private const string CounterMoves = "a=$(cat /tmp/count); while [ \"$(cat /tmp/count)\" -le \"$a\" ]; do sleep 0.05; done; echo $a $(cat /tmp/count)";

    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task A_suspended_sandbox_has_no_process_on_the_host_and_resumes_with_its_files_and_its_counter_going_on()
    {
        var backend = _host.Backend();
        var sandbox = (GvisorSandbox)await _host.ProvisionAsync(backend);
        var layout = sandbox.Layout;
        await ExecutionResult.RunAsync(sandbox, "sh", "-c", Counter);
        var beforeSuspend = Values((await ExecutionResult.RunAsync(sandbox, "sh", "-c", CounterMoves)).Stdout)[1];

        var suspended = await sandbox.SuspendAsync(CancellationToken.None);

        Assert.Empty(GvisorTestHost.ProcessesMentioning(layout.ContainerId));
        Assert.DoesNotContain(layout.ContainerId, await _host.RunscListAsync());
        Assert.NotEmpty(Directory.EnumerateFiles(layout.CheckpointDirectory));
        var stale = await Assert.ThrowsAsync<CleanroomException>(() => ExecutionResult.RunAsync(sandbox, "true"));
        Assert.Contains("suspended", stale.Message);

        var resumed = await suspended.ResumeAsync(CancellationToken.None);

        Assert.Equal("kept\n", (await ExecutionResult.RunAsync(resumed, "cat", "/root/file")).Stdout);
        var afterResume = Values((await ExecutionResult.RunAsync(resumed, "sh", "-c", CounterMoves)).Stdout);
        Assert.True(afterResume[0] >= beforeSuspend, $"the counter went on from {beforeSuspend}, it did not start again: {afterResume[0]}");
        Assert.True(afterResume[1] > afterResume[0], "the counter runs after the resume");
        Assert.False(Directory.Exists(layout.CheckpointDirectory), "a resumed sandbox's checkpoint is removed");

        await resumed.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(layout.SandboxId);
    }

    [GvisorFact]
    public async Task A_sandbox_suspends_and_resumes_twice_and_a_suspended_one_terminates_without_a_trace()
    {
        var backend = _host.Backend();
        IProvisionedSandbox sandbox = await _host.ProvisionAsync(backend);
        var id = sandbox.SandboxId;
        await ExecutionResult.RunAsync(sandbox, "sh", "-c", "echo one > /root/file");
        sandbox = await (await ((ISuspendableSandbox)sandbox).SuspendAsync(CancellationToken.None)).ResumeAsync(CancellationToken.None);
        await ExecutionResult.RunAsync(sandbox, "sh", "-c", "echo two >> /root/file");
        var suspended = await ((ISuspendableSandbox)sandbox).SuspendAsync(CancellationToken.None);
        sandbox = await suspended.ResumeAsync(CancellationToken.None);
        Assert.Equal("one\ntwo\n", (await ExecutionResult.RunAsync(sandbox, "cat", "/root/file")).Stdout);

        var again = await ((ISuspendableSandbox)sandbox).SuspendAsync(CancellationToken.None);
        await again.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(id);
    }

    [GvisorFact]
    public async Task A_sandbox_with_a_running_command_is_not_suspended_and_stays_usable()
    {
        var sandbox = await _host.ProvisionAsync(_host.Backend());
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        var running = await sandbox.StartExecutionAsync(new ExecutionSpec { Argv = ["sleep", "600"] }, deadline.Token);

        var refused = await Assert.ThrowsAsync<SandboxSuspendException>(() => ((ISuspendableSandbox)sandbox).SuspendAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.SuspendFailed, refused.Code);
        Assert.Same(sandbox, refused.Running);
        Assert.Equal("ok\n", (await ExecutionResult.RunAsync(sandbox, "echo", "ok")).Stdout);
        await running.SignalAsync(9, CancellationToken.None);
        await running.Completion.WaitAsync(deadline.Token);
    }

    [GvisorFact]
    public async Task A_corrupted_checkpoint_fails_the_wake_with_wake_failed_keeps_the_checkpoint_and_harms_no_other_sandbox()
    {
        var backend = _host.Backend();
        var other = await _host.ProvisionAsync(backend);
        var sandbox = (GvisorSandbox)await _host.ProvisionAsync(backend);
        var layout = sandbox.Layout;
        var suspended = await sandbox.SuspendAsync(CancellationToken.None);
        foreach (var file in Directory.EnumerateFiles(layout.CheckpointDirectory))
        {
            var length = new FileInfo(file).Length;
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5a, (int)Math.Max(64, Math.Min(length, 1 << 20))).ToArray());
        }

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<CleanroomException>(() => suspended.ResumeAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.WakeFailed, failure.Code);
        Assert.Contains(layout.CheckpointDirectory, failure.Message);
        Assert.True(Directory.Exists(layout.CheckpointDirectory), "the checkpoint is kept for inspection");
        Assert.Empty(GvisorTestHost.ProcessesMentioning(layout.ContainerId));
        Assert.Equal("still here\n", (await ExecutionResult.RunAsync(other, "echo", "still here")).Stdout);

        await suspended.TerminateAsync(CancellationToken.None);
        await other.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(layout.SandboxId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the failed wake took {clock.Elapsed}");
    }

    private static long[] Values(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
}
