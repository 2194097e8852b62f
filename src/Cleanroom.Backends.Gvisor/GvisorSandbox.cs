using System.Collections.Concurrent;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Backends.AgentBased;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// One running gVisor sandbox: a runsc container whose PID 1 is the agent, reached over the container's
/// stdio. Executions are agent executions with the image's defaults applied; terminate stops the agent
/// and removes the container and the run directory.
/// </summary>
internal sealed class GvisorSandbox : IProvisionedSandbox, ISandboxFileTree
{
    private static readonly TimeSpan ExecutionDrain = TimeSpan.FromSeconds(5);

    private readonly LaunchedSandbox _launched;
    private readonly ImageConfig _image;
    private readonly SandboxTeardown _teardown;
    private readonly ConcurrentDictionary<AgentBackedExecution, byte> _executions = new();
    private readonly Lock _gate = new();
    private Task? _termination;

    public GvisorSandbox(LaunchedSandbox launched, ImageConfig image, SandboxTeardown teardown)
    {
        _launched = launched;
        _image = image;
        _teardown = teardown;
        _tree = new AgentFileTree(() =>
        {
            EnsureLive();
            return _launched.Agent;
        });
    }

    private readonly AgentFileTree _tree;

    public string SandboxId => _launched.Layout.SandboxId;

    internal SandboxLayout Layout => _launched.Layout;

    /// <summary>runsc run's pid on the host (for tests and diagnostics).</summary>
    internal RunscContainerProcess Process => _launched.Process;

    public async Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EnsureLive();
        var request = ImageDefaults.Apply(_image, spec, _launched.Agent.Agent.Supports(AgentCapabilities.Tty));
        var agentExecution = await _launched.Agent.StartAsync(request, cancellationToken).ConfigureAwait(false);
        var execution = new AgentBackedExecution(agentExecution);
        _executions.TryAdd(execution, 0);
        _ = execution.Completion.ContinueWith(_ => _executions.TryRemove(execution, out byte _), TaskScheduler.Default);
        return execution;
    }

    public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        EnsureLive();
        // The agent maps a missing file to not_found and a relative or odd path to invalid_argument.
        return _launched.Agent.ReadFileAsync(guestPath, cancellationToken);
    }

    public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
        _tree.ReadArchiveAsync(guestRoot, members, cancellationToken);

    public Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
        _tree.WriteArchiveAsync(guestRoot, archive, cancellationToken);

    public IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken) =>
        _tree.ListTreeAsync(guestRoot, excludedNames, maxEntries, cancellationToken);

    public Task TerminateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
            _termination ??= TerminateOnceAsync();
        // Waiting may be cancelled; the teardown itself runs to the end regardless.
        return _termination.WaitAsync(cancellationToken);
    }

    private async Task TerminateOnceAsync()
    {
        await _teardown.RunAsync(_launched.Layout, _launched.Agent, _launched.Process).ConfigureAwait(false);
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
