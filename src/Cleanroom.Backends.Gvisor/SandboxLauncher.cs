using Cleanroom.Agent.Client;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// What a launch asks for: the rootfs to lay the writable layer over, the runsc platform, and the limits
/// (<see cref="DiskBytes"/> as <see cref="DiskLimit"/> decided it: there is no unlimited disk).
/// </summary>
/// <param name="Snapshot">
/// A checkpoint (runsc's image directory) to restore the new sandbox from instead of booting it: its processes, memory
/// and writable layer, under this sandbox's own id, bundle, disk, channel and network (see <see cref="SnapshotRestore"/>).
/// </param>
internal sealed record LaunchRequest(SandboxLayout Layout, string RootfsPath, GvisorSettings Settings, string Platform, long MemoryBytes, int? Vcpus, long DiskBytes, NetworkAttachment? Network = null, bool Docker = false, string? Snapshot = null);

/// <summary>A sandbox whose agent has answered the handshake, and where its start spent its time (none when re-adopted).</summary>
internal sealed record LaunchedSandbox(SandboxLayout Layout, AgentConnection Agent, LaunchTimings? Timings = null);

/// <summary>
/// The phases of one launch, for the log line that says a sandbox is ready: making its disk, runsc's start up to
/// the agent's readiness line, and the connect and handshake after it.
/// </summary>
internal sealed record LaunchTimings(TimeSpan Disk, TimeSpan UntilListening, TimeSpan Handshake)
{
    public override string ToString() =>
        $"disk {Disk.TotalMilliseconds:0} ms, runsc until the agent listened {UntilListening.TotalMilliseconds:0} ms, handshake {Handshake.TotalMilliseconds:0} ms";
}

/// <summary>
/// Starts one sandbox: writes its run directory and OCI bundle, starts <c>runsc run --detach</c> with the agent as
/// PID 1 listening on its channel socket, waits for the agent's one readiness line on the container's stdout
/// (no polling for the socket, no sleeps), then connects and runs the handshake. If any of it does not happen
/// within the deadline, runsc fails first, or the caller cancels, everything made so far is removed before
/// the error is thrown. The sandbox does not depend on the server's life: its stdout pipe is closed after the
/// readiness line, and its stderr goes to the run directory's log file.
/// </summary>
internal sealed class SandboxLauncher(GvisorBackendOptions options, Runsc runsc, SandboxTeardown teardown, ILogger logger)
{
    private readonly StagedAgent _agent = new(options.AgentDirectory);
    private readonly FilestoreDisk _disk = new(new ProcessRunner(logger), options.CommandTimeout, logger);

    public async Task<LaunchedSandbox> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var layout = request.Layout;
        _agent.EnsureStaged();
        Directory.CreateDirectory(options.SandboxRoot);
        if (Directory.Exists(layout.RunDirectory))
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"sandbox {layout.SandboxId} already has a run directory at {layout.RunDirectory}; a sandbox id is used once (restart the server to clear leftovers)");

        var started = false;
        AgentConnection? connection = null;
        var startedAt = Environment.TickCount64;
        try
        {
            // The run directory holds the bundle, the writable layer's backing file and the agent's socket: root-only.
            const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(layout.RunDirectory, OwnerOnly);
            Directory.CreateDirectory(layout.BundleDirectory);
            // Before runsc makes its writable layer's file there; on failure the teardown below removes it again.
            await _disk.CreateAsync(layout, request.DiskBytes, cancellationToken).ConfigureAwait(false);
            var diskMade = Environment.TickCount64;
            Directory.CreateDirectory(layout.ChannelDirectory, OwnerOnly);
            Directory.CreateDirectory(runsc.Root);
            string? resolvConf = null;
            var networkFiles = new List<(string, string)>();
            if (request.Network is { } network)
            {
                resolvConf = Path.Combine(layout.RunDirectory, "resolv.conf");
                await File.WriteAllTextAsync(resolvConf, network.ResolvConf, cancellationToken).ConfigureAwait(false);
                var index = 0;
                foreach (var (guestPath, content) in network.GuestFiles.OrderBy(f => f.Key, StringComparer.Ordinal))
                {
                    var hostPath = Path.Combine(layout.RunDirectory, $"network-file-{index++}");
                    await File.WriteAllTextAsync(hostPath, content, cancellationToken).ConfigureAwait(false);
                    networkFiles.Add((guestPath, hostPath));
                }
            }

            OciBundle.Write(layout.ConfigPath, new OciBundleSpec(
                RootfsPath: request.RootfsPath,
                Argv: _agent.GuestArgv,
                AgentHostDirectory: Path.GetFullPath(options.AgentDirectory),
                ChannelHostDirectory: layout.ChannelDirectory,
                Hostname: "cleanroom",
                CgroupsPath: layout.CgroupsPath,
                MemoryBytes: request.MemoryBytes,
                Vcpus: request.Vcpus,
                PidsLimit: request.Settings.PidsLimit,
                ResolvConfPath: resolvConf,
                NetworkNamespacePath: request.Network?.NamespacePath,
                NetworkFiles: networkFiles,
                Docker: request.Docker));
            RestoreRecipe.For(request.Platform, request.Network, request.Settings.SandboxNetworkStack).Write(layout.RestoreRecipePath);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.ReadyTimeout);
            var runscStarted = Environment.TickCount64;
            if (request.Snapshot is { } snapshot)
            {
                started = true;
                await new SnapshotRestore(runsc, logger).RunAsync(layout, request, snapshot, deadline.Token).ConfigureAwait(false);
            }
            else
            {
                var process = DetachedProgram.Start(
                    runsc.RunArgv(request.Platform, layout.BundleDirectory, layout.ContainerId, layout.RunscLogPath, layout.FilestoreDirectory, request.Network?.NamespacePath,
                        request.Settings.SandboxNetworkStack),
                    layout.StderrLogPath, readinessPipe: true, logger, ErrorCode.RuntimeLaunchFailed);
                started = true;
                await ReadinessLine.WaitAsync(process, deadline.Token).ConfigureAwait(false);
            }
            var listening = Environment.TickCount64;
            var remaining = options.ReadyTimeout - TimeSpan.FromMilliseconds(listening - startedAt);
            connection = await AgentChannel.ConnectAsync(layout, options, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromSeconds(1), deadline.Token).ConfigureAwait(false);
            return new LaunchedSandbox(layout, connection, new LaunchTimings(
                TimeSpan.FromMilliseconds(diskMade - startedAt),
                TimeSpan.FromMilliseconds(listening - runscStarted),
                TimeSpan.FromMilliseconds(Environment.TickCount64 - listening)));
        }
        catch (Exception e)
        {
            var stderr = started ? TextTail.OfFile(layout.StderrLogPath) : null;
            var runscLog = ReadLogTail(layout.RunscLogPath);
            await teardown.RunAsync(layout, connection).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            if (e is CleanroomException { Code: ErrorCode.SnapshotCorrupt } corrupt)
                throw corrupt; // the snapshot is at fault, not the host: its own code says so
            if (e is CleanroomException { Code: not (AgentClientErrorCodes.ConnectionLost or AgentClientErrorCodes.Incompatible or AgentClientErrorCodes.ProtocolViolation) } known && !started)
                throw known; // failed before runsc started: the message already says what to fix
            var reason = e is OperationCanceledException ? $"the agent did not get through its handshake within {options.ReadyTimeout.TotalSeconds:0} s" : e.Message;
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"the gVisor sandbox {layout.SandboxId} did not become ready: {reason}. runsc stderr: {stderr ?? "(not started)"}"
                + (runscLog is null ? "" : $" runsc log: {runscLog}"), e);
        }
    }

    // runsc's --log holds the reason when its stderr is terse ("sandbox: exit status 1"); read before removal.
    private static string? ReadLogTail(string path)
    {
        try
        {
            if (!File.Exists(path))
                return null;
            // glog lines: the first letter is the severity; warnings and errors say what went wrong.
            var lines = File.ReadAllLines(path).Where(l => l.StartsWith('W') || l.StartsWith('E')).TakeLast(5).ToArray();
            return lines.Length == 0 ? null : ProcessRunner.Tail(string.Join("\n", lines));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
