using System.Collections.Concurrent;
using Cleanroom.Agent.Protocol;
using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Qemu.Vm;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.Qemu.Sandbox;

/// <summary>
/// One running microVM: QEMU with the agent as the guest's init, reached over the virtio-serial socket.
/// Executions are agent executions with the image's defaults applied; terminate stops the agent (the guest
/// then syncs and reboots, ending QEMU) and removes the run directory with the disk overlay.
/// </summary>
internal sealed class QemuSandbox(LaunchedVm vm, ImageConfig image, VmTeardown teardown, Func<Task>? removeNetwork = null) : IProvisionedSandbox, ISandboxFileTree
{
    private static readonly TimeSpan ExecutionDrain = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<AgentBackedExecution, byte> _executions = new();
    private readonly Lock _gate = new();
    private Task? _termination;

    public string SandboxId => vm.Run.SandboxId;

    /// <summary>QEMU's pid on the host (for tests and diagnostics).</summary>
    internal int QemuPid => vm.Process.Pid;

    internal SandboxRunDirectory Run => vm.Run;

    public async Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EnsureLive();
        var request = ImageDefaults.Apply(image, spec, vm.Agent.Agent.Supports(AgentCapabilities.Tty));
        var execution = new AgentBackedExecution(await vm.Agent.StartAsync(request, cancellationToken).ConfigureAwait(false));
        _executions.TryAdd(execution, 0);
        _ = execution.Completion.ContinueWith(_ => _executions.TryRemove(execution, out byte _), TaskScheduler.Default);
        return execution;
    }

    public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        EnsureLive();
        // The agent maps a missing file to not_found and a relative or odd path to invalid_argument.
        return vm.Agent.ReadFileAsync(guestPath, cancellationToken);
    }

    public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
        Tree.ReadArchiveAsync(guestRoot, members, cancellationToken);

    public Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
        Tree.WriteArchiveAsync(guestRoot, archive, cancellationToken);

    public IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken) =>
        Tree.ListTreeAsync(guestRoot, excludedNames, maxEntries, cancellationToken);

    private AgentFileTree Tree => _tree ??= new AgentFileTree(() =>
    {
        EnsureLive();
        return vm.Agent;
    });

    private AgentFileTree? _tree;

    public Task TerminateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
            _termination ??= TerminateOnceAsync();
        // Waiting may be cancelled; the teardown itself runs to the end regardless.
        return _termination.WaitAsync(cancellationToken);
    }

    private async Task TerminateOnceAsync()
    {
        try
        {
            await teardown.RunAsync(vm.Run, vm.Agent, vm.Process).ConfigureAwait(false);
        }
        finally
        {
            // The VM's TAP in the sandbox's namespace (the namespace itself belongs to whoever attached it).
            if (removeNetwork is not null)
                await removeNetwork().ConfigureAwait(false);
        }
        // The connection is gone, so every execution's pump ends; wait so callers see them complete.
        var pending = _executions.Keys.Select(e => e.Completion).ToArray();
        await ((Task)Task.WhenAll(pending)).WaitAsync(ExecutionDrain).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void EnsureLive()
    {
        if (Volatile.Read(ref _termination) is not null)
            throw new CleanroomException(ErrorCode.NotFound, $"sandbox {SandboxId} has been terminated");
    }
}
