using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Tests;

public class BackendRegistryTests
{
    [Fact]
    public async Task Unknown_backend_is_unavailable_and_the_error_lists_known_ones()
    {
        var registry = new BackendRegistry().Register(new ScriptedBackend("gvisor"));
        var ex = await Assert.ThrowsAsync<CleanroomException>(() => registry.ResolveUsableAsync("firecracker", CancellationToken.None));
        Assert.Equal(ErrorCode.BackendUnavailable, ex.Code);
        Assert.Contains("firecracker", ex.Message);
        Assert.Contains("gvisor", ex.Message);
    }

    [Fact]
    public async Task Backend_whose_probe_fails_is_unavailable_with_the_probe_reason()
    {
        var backend = new ScriptedBackend("qemu") { Health = BackendHealth.Unusable("qemu-system-x86_64 not found") };
        var registry = new BackendRegistry().Register(backend);
        var ex = await Assert.ThrowsAsync<CleanroomException>(() => registry.ResolveUsableAsync("qemu", CancellationToken.None));
        Assert.Equal(ErrorCode.BackendUnavailable, ex.Code);
        Assert.Contains("qemu-system-x86_64 not found", ex.Message);
    }

    [Fact]
    public async Task No_name_picks_the_first_usable_backend_in_registration_order()
    {
        var registry = new BackendRegistry()
            .Register(new ScriptedBackend("firecracker") { Health = BackendHealth.Unusable("no kvm") })
            .Register(new ScriptedBackend("gvisor"))
            .Register(new ScriptedBackend("qemu"));
        var chosen = await registry.ResolveUsableAsync(null, CancellationToken.None);
        Assert.Equal("gvisor", chosen.Name);
    }

    [Fact]
    public async Task Usable_probe_is_reused_but_an_unusable_one_is_asked_again()
    {
        var backend = new ScriptedBackend("gvisor") { Health = BackendHealth.Unusable("runsc missing") };
        var registry = new BackendRegistry().Register(backend);
        await Assert.ThrowsAsync<CleanroomException>(() => registry.ResolveUsableAsync("gvisor", CancellationToken.None));
        backend.Health = BackendHealth.Ok();
        await registry.ResolveUsableAsync("gvisor", CancellationToken.None);
        await registry.ResolveUsableAsync("gvisor", CancellationToken.None);
        Assert.Equal(2, backend.ProbeCalls);
    }

    [Fact]
    public async Task A_probe_in_flight_is_shared_and_one_callers_cancel_does_not_end_it_for_the_others()
    {
        var backend = new ScriptedBackend("gvisor") { ProbeGate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var registry = new BackendRegistry().Register(backend);
        using var impatient = new CancellationTokenSource();

        var first = registry.ProbeAsync(backend, impatient.Token);
        var second = registry.ProbeAsync(backend, CancellationToken.None);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        backend.ProbeGate.SetResult();

        Assert.True((await second).Usable);
        Assert.Equal(1, backend.ProbeCalls);
    }

    [Fact]
    public void Registering_the_same_name_twice_is_a_bug()
    {
        var registry = new BackendRegistry().Register(new ScriptedBackend("gvisor"));
        Assert.Throws<InvalidOperationException>(() => registry.Register(new ScriptedBackend("gvisor")));
    }
}
