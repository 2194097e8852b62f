using System.Text.Json;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class EventStreamTests
{
    [Fact]
    public async Task Follower_sees_every_status_change_and_the_stream_ends_when_the_sandbox_stops()
    {
        var backend = new ScriptedBackend { ProvisionGate = new TaskCompletionSource() };
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false), CancellationToken.None);
        var events = Collect(h.Control.StreamSandboxEventsAsync(sandbox.Id, 0, CancellationToken.None));

        backend.ProvisionGate.SetResult();
        await h.Control.WaitUntilReadyAsync(sandbox.Id, CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "x"), CancellationToken.None);
        (await backend.Sandboxes[sandbox.Id].NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        var seen = await events.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(
            ["sandbox.status:PROVISIONING", "sandbox.status:READY", "execution.status:QUEUED", "execution.status:RUNNING",
             "execution.status:SUCCEEDED", "sandbox.status:STOPPING", "sandbox.status:STOPPED"],
            seen.Select(e => $"{e.Type}:{Status(e)}"));
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_follower_can_resume_after_the_last_event_it_saw()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        var rest = await Collect(h.Control.StreamSandboxEventsAsync(sandbox.Id, 2, CancellationToken.None));

        Assert.Equal(["STOPPING", "STOPPED"], rest.Select(Status));
        Assert.Equal(3, rest[0].Seq);
    }

    [Fact]
    public async Task Failure_event_carries_the_error_code_and_message()
    {
        var backend = new ScriptedBackend { Capabilities = BackendCapabilities.None };
        await using var h = await StartAsync(backend);
        await Assert.ThrowsAnyAsync<Exception>(() => h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None));
        var sandbox = Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));

        var events = await Collect(h.Control.StreamSandboxEventsAsync(sandbox.Id, 0, CancellationToken.None));

        using var payload = JsonDocument.Parse(events[^1].PayloadJson);
        Assert.Equal("FAILED", payload.RootElement.GetProperty("status").GetString());
        Assert.Equal("backend_capability_mismatch", payload.RootElement.GetProperty("code").GetString());
        Assert.Contains(CapabilityNames.NetworkDefaultDeny, payload.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_execution_that_ends_with_the_sandbox_disk_nearly_full_is_followed_by_a_disk_full_event_naming_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var handle = backend.Sandboxes[sandbox.Id];

        handle.DiskUsage = new SandboxDiskUsage(LimitBytes: 256L << 20, UsedBytes: 100L << 20, AvailableBytes: 150L << 20);
        await RunAsync(h, backend, sandbox.Id, "roomy");
        handle.DiskUsage = new SandboxDiskUsage(LimitBytes: 256L << 20, UsedBytes: 251L << 20, AvailableBytes: 4096);
        var full = await RunAsync(h, backend, sandbox.Id, "fills-it");

        var events = h.Control.ReadSandboxEvents(sandbox.Id);
        var diskFull = Assert.Single(events, e => e.Type == SandboxEventTypes.DiskFull);
        using var payload = JsonDocument.Parse(diskFull.PayloadJson);
        Assert.Equal(full, payload.RootElement.GetProperty("execution_id").GetString());
        Assert.Equal(256L << 20, payload.RootElement.GetProperty("limit_bytes").GetInt64());
        Assert.Equal(4096, payload.RootElement.GetProperty("available_bytes").GetInt64());
        Assert.Contains("No space left on device", payload.RootElement.GetProperty("message").GetString());
        // Read right after the wait, without following: the event is recorded before the execution's end is visible.
    }

    [Fact]
    public async Task A_disk_that_cannot_be_read_reports_nothing_and_the_execution_still_ends()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        await RunAsync(h, backend, sandbox.Id, "no-disk");

        var events = h.Control.ReadSandboxEvents(sandbox.Id);
        Assert.DoesNotContain(events, e => e.Type == SandboxEventTypes.DiskFull);
    }

    [Theory]
    [InlineData(256L << 20, 2L << 20, true)]     // under 1% (2.56 MiB) left
    [InlineData(256L << 20, 3L << 20, false)]
    [InlineData(16L << 20, 1L << 19, true)]      // small disks: at least 1 MiB counts as full
    [InlineData(1L << 40, 100L << 20, false)]    // large disks: at most 64 MiB does
    [InlineData(1L << 40, 60L << 20, true)]
    public void A_disk_is_nearly_full_under_one_percent_free_counted_between_1_and_64_MiB(long limit, long available, bool full)
    {
        Assert.Equal(full, new SandboxDiskUsage(limit, limit - available, available).IsNearlyFull);
    }

    /// <summary>Runs one execution that exits 1 (as a write failing with ENOSPC would) and returns its id.</summary>
    private static async Task<string> RunAsync(ControlPlaneHarness h, ScriptedBackend backend, string sandboxId, string name)
    {
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandboxId, name), CancellationToken.None);
        (await backend.Sandboxes[sandboxId].NextExecutionAsync()).Exit(ExitStatus.Exited(1));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        return execution.Id;
    }

    internal static string? Status(SandboxEvent e)
    {
        using var payload = JsonDocument.Parse(e.PayloadJson);
        return payload.RootElement.TryGetProperty("status", out var status) ? status.GetString() : null;
    }

    internal static async Task<List<SandboxEvent>> Collect(IAsyncEnumerable<SandboxEvent> stream)
    {
        var items = new List<SandboxEvent>();
        await foreach (var item in stream)
            items.Add(item);
        return items;
    }
}
