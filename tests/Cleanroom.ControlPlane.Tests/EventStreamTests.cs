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
