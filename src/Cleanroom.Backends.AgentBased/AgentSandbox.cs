using System.Collections.Concurrent;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// A running sandbox whose init is the guest agent, whatever holds it (a runsc container, a microVM): executions
/// are agent executions with the image's defaults applied, files and trees go through the agent, and terminate
/// runs the backend's own teardown once and then waits for the executions it ended.
/// </summary>
public abstract class AgentSandbox : IProvisionedSandbox, ISandboxFileTree, ISandboxPorts
{
    private static readonly TimeSpan ExecutionDrain = TimeSpan.FromSeconds(5);

    private readonly AgentConnection _agent;
    private readonly ImageConfig _image;
    private readonly AgentFileTree _tree;
    private readonly ConcurrentDictionary<AgentBackedExecution, byte> _executions = new();
    private readonly Lock _gate = new();
    private Task? _termination;
    private volatile bool _suspended;

    protected AgentSandbox(string sandboxId, AgentConnection agent, ImageConfig image)
    {
        SandboxId = sandboxId;
        _agent = agent;
        _image = image;
        _tree = new AgentFileTree(() =>
        {
            EnsureLive();
            return _agent;
        });
    }

    public string SandboxId { get; }

    /// <summary>The image's config (its defaults for executions), for a backend that makes the sandbox's next handle.</summary>
    protected ImageConfig Image => _image;

    public async Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EnsureLive();
        var request = ImageDefaults.Apply(_image, spec, _agent.Agent.Supports(AgentCapabilities.Tty));
        var execution = new AgentBackedExecution(await _agent.StartAsync(request, cancellationToken).ConfigureAwait(false));
        _executions.TryAdd(execution, 0);
        _ = execution.Completion.ContinueWith(_ => _executions.TryRemove(execution, out byte _), TaskScheduler.Default);
        return execution;
    }

    public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        EnsureLive();
        // The agent maps a missing file to not_found and a relative or odd path to invalid_argument.
        return _agent.ReadFileAsync(guestPath, cancellationToken);
    }

    public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
        _tree.ReadArchiveAsync(guestRoot, members, cancellationToken);

    public Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
        _tree.WriteArchiveAsync(guestRoot, archive, cancellationToken);

    public IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken) =>
        _tree.ListTreeAsync(guestRoot, excludedNames, maxEntries, cancellationToken);

    public async Task<SandboxPortConnection> ConnectPortAsync(ushort port, CancellationToken cancellationToken)
    {
        EnsureLive();
        try
        {
            var stream = await _agent.ConnectPortAsync(port, cancellationToken).ConfigureAwait(false);
            return new SandboxPortConnection(stream, stream.ShutdownWriteAsync);
        }
        catch (AgentException e) when (e.AgentCode == AgentErrorCodes.ConnectionRefused)
        {
            throw new CleanroomException(ErrorCode.ConnectionRefused, $"sandbox {SandboxId}: {e.Message}", e);
        }
    }

    public Task TerminateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A suspended sandbox is its suspended handle's to remove; this one only held the connection it gave up.
            if (_suspended)
                return Task.CompletedTask;
            _termination ??= TerminateOnceAsync();
        }
        // Waiting may be cancelled; the teardown itself runs to the end regardless.
        return _termination.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The first step of a backend's suspend: refuses while commands run (<c>suspend_failed</c>, this handle still
    /// usable), retires this handle, and has the agent let go of every host socket (<see cref="AgentConnection.SuspendAsync"/>).
    /// An agent that cannot suspend leaves the handle usable; any later failure leaves it retired (the connection is gone).
    /// </summary>
    protected async Task ReleaseAgentForSuspendAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_termination is not null)
                throw new CleanroomException(ErrorCode.NotFound, $"sandbox {SandboxId} has been terminated");
            if (!_executions.IsEmpty)
                throw new SandboxSuspendException($"sandbox {SandboxId} cannot be suspended while {_executions.Count} command(s) run in it", this);
            _suspended = true;
        }
        try
        {
            await _agent.SuspendAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException e) when (e.Code == AgentClientErrorCodes.Incompatible)
        {
            _suspended = false;
            throw new SandboxSuspendException($"sandbox {SandboxId} cannot be suspended: {e.Message}", this, e);
        }
    }

    /// <summary>Removes everything the sandbox made on the host (stopping the agent first); runs once.</summary>
    protected abstract Task TeardownAsync();

    private async Task TerminateOnceAsync()
    {
        await TeardownAsync().ConfigureAwait(false);
        // The connection is gone, so every execution's pump ends; wait so callers see them complete.
        var pending = _executions.Keys.Select(e => e.Completion).ToArray();
        await ((Task)Task.WhenAll(pending)).WaitAsync(ExecutionDrain).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void EnsureLive()
    {
        if (_suspended)
            throw new CleanroomException(ErrorCode.NotFound, $"sandbox {SandboxId} is suspended; this handle no longer reaches it");
        if (Volatile.Read(ref _termination) is not null)
            throw new CleanroomException(ErrorCode.NotFound, $"sandbox {SandboxId} has been terminated");
    }
}
