using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// New sandboxes started from a snapshot of a suspended one (runsc restore under a new id, bundle, disk and channel):
/// each has the snapshot's files and its processes running on, each is independent of the other, and a corrupted
/// snapshot fails with <c>snapshot_corrupt</c> and leaves nothing behind.
/// </summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorSnapshotTests(GvisorAssets assets) : IAsyncLifetime
{
    private const string Counter = "echo kept > /root/file; (i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done) > /dev/null 2>&1 &";

    // Waits inside the sandbox until the counter has moved past what it is now, then prints both values.
    private const string CounterMoves = "a=$(cat /tmp/count); while [ \"$(cat /tmp/count)\" -le \"$a\" ]; do sleep 0.05; done; echo $a $(cat /tmp/count)";

    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task Two_sandboxes_from_one_snapshot_have_its_file_and_its_counter_running_on_and_are_independent()
    {
        var backend = _host.Backend();
        var origin = (GvisorSandbox)await _host.ProvisionAsync(backend);
        await ExecutionResult.RunAsync(origin, "sh", "-c", Counter);
        var counted = Values((await ExecutionResult.RunAsync(origin, "sh", "-c", CounterMoves)).Stdout)[1];
        var suspended = await origin.SuspendAsync(CancellationToken.None);
        var snapshot = Path.Combine(_host.Root, "snapshot");
        Directory.CreateDirectory(snapshot);
        await ((ISnapshotSource)suspended).WriteSnapshotAsync(snapshot, CancellationToken.None);
        await suspended.TerminateAsync(CancellationToken.None);

        var first = await _host.ProvisionAsync(backend, _host.Spec() with { SnapshotDirectory = snapshot });
        var second = await _host.ProvisionAsync(backend, _host.Spec() with { SnapshotDirectory = snapshot });

        foreach (var sandbox in new[] { first, second })
        {
            Assert.Equal("kept\n", (await ExecutionResult.RunAsync(sandbox, "cat", "/root/file")).Stdout);
            var moved = Values((await ExecutionResult.RunAsync(sandbox, "sh", "-c", CounterMoves)).Stdout);
            Assert.True(moved[0] >= counted, $"the counter went on from {counted}; it did not start again ({moved[0]})");
        }
        await ExecutionResult.RunAsync(first, "sh", "-c", "echo first > /root/own");
        Assert.NotEqual(0, (await ExecutionResult.RunAsync(second, "cat", "/root/own")).Exit.ExitCode);

        await first.TerminateAsync(CancellationToken.None);
        await second.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(first.SandboxId);
        await _host.AssertNothingRemainsAsync(second.SandboxId);
        Assert.NotEmpty(Directory.EnumerateFiles(SnapshotFiles.CheckpointOf(snapshot))); // a snapshot outlives its sandboxes
    }

    [GvisorFact]
    public async Task A_corrupted_snapshot_fails_with_snapshot_corrupt_and_leaves_nothing()
    {
        var backend = _host.Backend();
        var origin = (GvisorSandbox)await _host.ProvisionAsync(backend);
        var suspended = await origin.SuspendAsync(CancellationToken.None);
        var snapshot = Path.Combine(_host.Root, "corrupt");
        Directory.CreateDirectory(snapshot);
        await ((ISnapshotSource)suspended).WriteSnapshotAsync(snapshot, CancellationToken.None);
        await suspended.TerminateAsync(CancellationToken.None);
        foreach (var file in Directory.EnumerateFiles(SnapshotFiles.CheckpointOf(snapshot)))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5a, 4096).ToArray());
        }
        var spec = _host.Spec() with { SnapshotDirectory = snapshot };

        var failure = await Assert.ThrowsAsync<CleanroomException>(() => _host.ProvisionAsync(backend, spec));

        Assert.Equal(ErrorCode.SnapshotCorrupt, failure.Code);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    private static long[] Values(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
}
