using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Store;
using Cleanroom.ControlPlane.Tests.Doubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>
/// The store is seeded as a killed server leaves it (records mid-flight), then a control plane is opened on it.
/// </summary>
public class ReconciliationTests : IDisposable
{
    private static readonly DateTimeOffset Then = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TestStateDirectory _state = new();

    [Fact]
    public async Task Restart_fails_interrupted_work_keeps_readopted_sandboxes_and_fails_lost_ones()
    {
        using (var store = ControlPlaneStore.Open(_state.Path))
        {
            store.InsertSandbox(Seed("sb-survivor00a", SandboxStatus.Ready));
            store.InsertSandbox(Seed("sb-lostsandbxa", SandboxStatus.Ready));
            store.InsertSandbox(Seed("sb-provisionin", SandboxStatus.Provisioning));
            store.InsertSandbox(Seed("sb-stoppingaaa", SandboxStatus.Stopping));
            store.InsertExecution(SeedExecution("ex-runningaaaa", "sb-lostsandbxa", ExecutionStatus.Running));
            store.InsertExecution(SeedExecution("ex-queuedaaaaa", "sb-survivor00a", ExecutionStatus.Queued));
        }
        var backend = new ScriptedBackend();
        backend.Survivors.Add("sb-survivor00a");
        backend.Leftovers.Add("sb-fromlongago");

        await using var control = await SandboxControl.OpenAsync(Options(), new BackendRegistry().Register(backend));

        var running = await control.GetExecutionAsync("ex-runningaaaa", CancellationToken.None);
        Assert.Equal(ExecutionStatus.Failed, running.Status);
        Assert.Equal(RestartReconciliation.ExecutionInterruptedMessage, running.FailureMessage);
        Assert.Equal(ExecutionStatus.Failed, (await control.GetExecutionAsync("ex-queuedaaaaa", CancellationToken.None)).Status);

        var lost = await control.GetSandboxAsync("sb-lostsandbxa", CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, lost.Status);
        Assert.Equal("sandbox was lost when the server restarted; its resources were removed", lost.FailureMessage);
        Assert.Equal(SandboxStatus.Failed, (await control.GetSandboxAsync("sb-provisionin", CancellationToken.None)).Status);
        Assert.Equal(SandboxStatus.Stopped, (await control.GetSandboxAsync("sb-stoppingaaa", CancellationToken.None)).Status);
        Assert.Equal(SandboxStatus.Ready, (await control.GetSandboxAsync("sb-survivor00a", CancellationToken.None)).Status);

        // The backend was told exactly which sandboxes the store expected to be alive.
        var expected = Assert.Single(backend.ReconcileCalls);
        Assert.Equal(["sb-lostsandbxa", "sb-survivor00a"], expected.Select(s => s.SandboxId).Order());
        Assert.Equal(["sb-fromlongago", "sb-lostsandbxa"], control.Reconciliation.RemovedLeftovers.Order());
        Assert.Equal(["sb-survivor00a"], control.Reconciliation.ReadoptedSandboxes);
        Assert.Equal(["sb-lostsandbxa"], control.Reconciliation.LostSandboxes);

        // What happened is on each sandbox's event stream.
        Assert.Equal(ReconcileOutcomes.Lost, Outcome(await Events(control, "sb-lostsandbxa")));
        Assert.Equal(ReconcileOutcomes.ProvisioningInterrupted, Outcome(await Events(control, "sb-provisionin")));
        Assert.Equal(ReconcileOutcomes.StopCompleted, Outcome(await Events(control, "sb-stoppingaaa")));

        // A re-adopted sandbox is usable again.
        var execution = await control.CreateExecutionAsync(ExecutionRequest("sb-survivor00a", "echo"), CancellationToken.None);
        (await backend.Sandboxes["sb-survivor00a"].NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        Assert.Equal(ExecutionStatus.Succeeded, (await control.WaitForExecutionAsync(execution.Id, CancellationToken.None)).Status);
        var terminated = await control.TerminateSandboxAsync("sb-survivor00a", CancellationToken.None);
        Assert.Equal(SandboxStatus.Stopped, terminated.Status);
    }

    [Fact]
    public async Task A_suspended_sandbox_whose_checkpoint_the_backend_kept_stays_suspended_and_its_next_use_wakes_it()
    {
        using (var store = ControlPlaneStore.Open(_state.Path))
        {
            store.InsertSandbox(Seed("sb-suspendedaa", SandboxStatus.Suspended));
            store.InsertSandbox(Seed("sb-suspendlost", SandboxStatus.Suspended));
        }
        var backend = new ScriptedBackend();
        backend.Survivors.Add("sb-suspendedaa");

        await using var control = await SandboxControl.OpenAsync(Options(), new BackendRegistry().Register(backend));

        var expected = Assert.Single(backend.ReconcileCalls);
        Assert.All(expected, spec => Assert.True(spec.Suspended, $"{spec.SandboxId} was expected suspended"));
        Assert.Equal(SandboxStatus.Suspended, (await control.GetSandboxAsync("sb-suspendedaa", CancellationToken.None)).Status);
        var lost = await control.GetSandboxAsync("sb-suspendlost", CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, lost.Status);
        Assert.Contains("its checkpoint could not be kept", lost.FailureMessage);
        Assert.Equal(["sb-suspendedaa"], control.Reconciliation.ReadoptedSandboxes);
        Assert.Equal(["sb-suspendlost"], control.Reconciliation.LostSandboxes);

        var execution = await control.CreateExecutionAsync(ExecutionRequest("sb-suspendedaa", "echo"), CancellationToken.None);
        (await backend.Sandboxes["sb-suspendedaa"].NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        Assert.Equal(ExecutionStatus.Succeeded, (await control.WaitForExecutionAsync(execution.Id, CancellationToken.None)).Status);
        Assert.Equal(1, backend.Sandboxes["sb-suspendedaa"].Wakes);
        Assert.Equal(SandboxStatus.Ready, (await control.GetSandboxAsync("sb-suspendedaa", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Sandbox_of_a_backend_this_server_lacks_is_failed_saying_resources_may_remain()
    {
        using (var store = ControlPlaneStore.Open(_state.Path))
            store.InsertSandbox(Seed("sb-onqemuaaaaa", SandboxStatus.Ready) with { Backend = "qemu" });

        await using var control = await SandboxControl.OpenAsync(Options(), new BackendRegistry().Register(new ScriptedBackend()));

        var sandbox = await control.GetSandboxAsync("sb-onqemuaaaaa", CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, sandbox.Status);
        Assert.Contains("may remain", sandbox.FailureMessage);
        Assert.Contains("'qemu' is not registered", sandbox.FailureMessage);
    }

    [Fact]
    public async Task Output_of_an_interrupted_execution_replays_up_to_the_last_whole_frame()
    {
        using (var store = ControlPlaneStore.Open(_state.Path))
        {
            store.InsertSandbox(Seed("sb-lostsandbxa", SandboxStatus.Ready));
            store.InsertExecution(SeedExecution("ex-runningaaaa", "sb-lostsandbxa", ExecutionStatus.Running));
        }
        var log = Path.Combine(_state.Path, "executions", "ex-runningaaaa", "output.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.WriteAllBytesAsync(log, [.. Frame(1, "complete line\n"), .. Frame(2, "torn by kill -9")[..9]]);

        await using var control = await SandboxControl.OpenAsync(Options(), new BackendRegistry().Register(new ScriptedBackend()));
        var items = await CollectAsync(control.StreamExecutionAsync("ex-runningaaaa", CancellationToken.None));

        Assert.Equal(["stdout:complete line\n", "exit:FAILED:"], OutputStreamingTests.Describe(items));
    }

    public void Dispose() => _state.Dispose();

    private ControlPlaneOptions Options() => new() { StateDirectory = _state.Path };

    private static Sandbox Seed(string id, SandboxStatus status) => new()
    {
        Id = id,
        Status = status,
        Backend = "scripted",
        ImageRef = Image,
        Policy = new SandboxPolicy(ControlPlaneHarness.PolicyJson(), "sha256:h", false, false),
        CreatedAt = Then,
        UpdatedAt = Then,
    };

    private static Execution SeedExecution(string id, string sandboxId, ExecutionStatus status) => new()
    {
        Id = id,
        SandboxId = sandboxId,
        Spec = new ExecutionSpec { Argv = ["make"] },
        Status = status,
        CreatedAt = Then,
        StartedAt = status == ExecutionStatus.Running ? Then : null,
    };

    private static byte[] Frame(byte kind, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[5 + payload.Length];
        frame[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static Task<List<SandboxEvent>> Events(SandboxControl control, string sandboxId) =>
        EventStreamTests.Collect(control.StreamSandboxEventsAsync(sandboxId, 0, CancellationToken.None));

    private static string? Outcome(List<SandboxEvent> events)
    {
        var reconciled = Assert.Single(events, e => e.Type == SandboxEventTypes.Reconciled);
        using var payload = JsonDocument.Parse(reconciled.PayloadJson);
        return payload.RootElement.GetProperty("outcome").GetString();
    }
}
