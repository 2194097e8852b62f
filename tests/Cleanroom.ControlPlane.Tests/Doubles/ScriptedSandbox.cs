using System.Text;
using System.Threading.Channels;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Tests.Doubles;

/// <summary>A sandbox of <see cref="ScriptedBackend"/>: hands each started execution to the test.</summary>
internal sealed class ScriptedSandbox(string sandboxId, ScriptedBackend backend) : IProvisionedSandbox, ISandboxDisk, ISandboxFileTree, ISuspendableSandbox
{
    /// <summary>True while suspended (between a suspend and a wake).</summary>
    public bool IsSuspended { get; private set; }
    public int Suspends { get; private set; }
    public int Wakes { get; private set; }

    public Task<ISuspendedSandbox> SuspendAsync(CancellationToken cancellationToken)
    {
        if (backend.SuspendFailure is { } failure)
            throw new SandboxSuspendException(failure, this);
        if (IsSuspended)
            throw new InvalidOperationException("suspended twice");
        IsSuspended = true;
        Suspends++;
        return Task.FromResult<ISuspendedSandbox>(new Suspended(this, backend));
    }

    /// <summary>The sandbox as a restarted server's backend finds it suspended on disk (no suspend call).</summary>
    public ISuspendedSandbox KeptSuspended()
    {
        IsSuspended = true;
        return new Suspended(this, backend);
    }

    private sealed class Suspended(ScriptedSandbox sandbox, ScriptedBackend backend) : ISuspendedSandbox, ISnapshotSource
    {
        public string SandboxId => sandbox.SandboxId;

        /// <summary>The sandbox's files, one per line as <c>path=content</c>: what a sandbox started from the snapshot gets.</summary>
        public Task WriteSnapshotAsync(string directory, CancellationToken cancellationToken) =>
            File.WriteAllLinesAsync(Path.Combine(directory, ScriptedBackend.SnapshotFile),
                sandbox.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"), cancellationToken);

        public Task<IProvisionedSandbox> ResumeAsync(CancellationToken cancellationToken)
        {
            if (backend.WakeFailure is { } failure)
                throw new CleanroomException(ErrorCode.WakeFailed, failure);
            sandbox.IsSuspended = false;
            sandbox.Wakes++;
            return Task.FromResult<IProvisionedSandbox>(sandbox);
        }

        public Task TerminateAsync(CancellationToken cancellationToken) => sandbox.TerminateAsync(cancellationToken);
    }

    /// <summary>Every archive written into the sandbox: where, and its bytes.</summary>
    public List<(string GuestRoot, byte[] Archive)> Archives { get; } = [];

    public async Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken)
    {
        var copy = new MemoryStream();
        await archive.CopyToAsync(copy, cancellationToken);
        lock (Archives) Archives.Add((guestRoot, copy.ToArray()));
        return copy.Length;
    }

    public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the scripted sandbox keeps no tree");

    public IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the scripted sandbox keeps no tree");

    private readonly Channel<ScriptedExecution> _started = Channel.CreateUnbounded<ScriptedExecution>();
    private readonly List<ScriptedExecution> _executions = [];

    public string SandboxId { get; } = sandboxId;
    public bool Terminated { get; private set; }
    public Dictionary<string, string> Files { get; } = [];
    /// <summary>What <see cref="ReadDiskUsage"/> answers; null (the default) is a sandbox without a readable disk.</summary>
    public SandboxDiskUsage? DiskUsage { get; set; }

    public SandboxDiskUsage? ReadDiskUsage() => DiskUsage;

    /// <summary>The next execution the control plane starts here.</summary>
    public async Task<ScriptedExecution> NextExecutionAsync() =>
        await _started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
    {
        if (IsSuspended)
            throw new InvalidOperationException("an execution was started in a suspended sandbox");
        if (backend.StartFailure is { } failure)
            throw new InvalidOperationException(failure);
        var execution = new ScriptedExecution(spec, backend.ExecutionsIgnoreSigterm);
        lock (_executions) _executions.Add(execution);
        _started.Writer.TryWrite(execution);
        return Task.FromResult<IRunningExecution>(execution);
    }

    public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken) =>
        Files.TryGetValue(guestPath, out var content)
            ? Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(content)))
            : throw new CleanroomException(ErrorCode.NotFound, $"{guestPath} does not exist");

    public Task TerminateAsync(CancellationToken cancellationToken)
    {
        if (!Terminated)
            backend.Terminated.Writer.TryWrite(SandboxId);
        Terminated = true;
        ScriptedExecution[] executions;
        lock (_executions) executions = _executions.ToArray();
        foreach (var execution in executions)
            execution.Exit(ExitStatus.KilledBy(SignalNumbers.Kill));
        return Task.CompletedTask;
    }
}
