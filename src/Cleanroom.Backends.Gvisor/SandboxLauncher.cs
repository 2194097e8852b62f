using Cleanroom.Agent.Client;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// What a launch asks for: the rootfs to lay the writable layer over, the runsc platform, and the limits
/// (<see cref="DiskBytes"/> as <see cref="DiskLimit"/> decided it: there is no unlimited disk).
/// </summary>
internal sealed record LaunchRequest(SandboxLayout Layout, string RootfsPath, GvisorSettings Settings, string Platform, long MemoryBytes, int? Vcpus, long DiskBytes, NetworkAttachment? Network = null);

/// <summary>A sandbox whose agent has answered the handshake.</summary>
internal sealed record LaunchedSandbox(SandboxLayout Layout, RunscContainerProcess Process, AgentConnection Agent);

/// <summary>
/// Starts one sandbox: writes its run directory and OCI bundle, starts <c>runsc run</c> with the agent as
/// PID 1 on the container's stdio, and waits for the agent's handshake, which is the readiness signal (no
/// polling, no sleeps). If the handshake does not come within the deadline, runsc exits first, or the caller
/// cancels, everything made so far is removed before the error is thrown.
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

        RunscContainerProcess? process = null;
        AgentConnection? connection = null;
        try
        {
            // The run directory holds the bundle and the writable layer's backing file: root-only.
            Directory.CreateDirectory(layout.RunDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(layout.BundleDirectory);
            // Before runsc makes its writable layer's file there; on failure the teardown below removes it again.
            await _disk.CreateAsync(layout, request.DiskBytes, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(runsc.Root);
            string? resolvConf = null;
            if (request.Network is { } network)
            {
                resolvConf = Path.Combine(layout.RunDirectory, "resolv.conf");
                await File.WriteAllTextAsync(resolvConf, network.ResolvConf, cancellationToken).ConfigureAwait(false);
            }

            OciBundle.Write(layout.ConfigPath, new OciBundleSpec(
                RootfsPath: request.RootfsPath,
                Argv: _agent.GuestArgv,
                AgentHostDirectory: Path.GetFullPath(options.AgentDirectory),
                Hostname: "cleanroom",
                CgroupsPath: layout.CgroupsPath,
                MemoryBytes: request.MemoryBytes,
                Vcpus: request.Vcpus,
                PidsLimit: request.Settings.PidsLimit,
                ResolvConfPath: resolvConf,
                NetworkNamespacePath: request.Network?.NamespacePath));

            process = RunscContainerProcess.Start(
                runsc.RunArgv(request.Platform, layout.BundleDirectory, layout.ContainerId, layout.RunscLogPath, layout.FilestoreDirectory, request.Network?.NamespacePath),
                layout.StderrLogPath, logger);
            // If runsc exits before the agent answers, stdout reaches end-of-file and the handshake fails at
            // once with "connection lost", so one wait covers the deadline, an early exit and cancellation.
            connection = await AgentConnection.ConnectAsync(process.FromAgent, process.ToAgent, new AgentConnectionOptions
            {
                ClientName = "cleanroom-gvisor",
                HandshakeTimeout = options.ReadyTimeout,
                OutputWindow = options.OutputWindow,
            }, cancellationToken).ConfigureAwait(false);
            return new LaunchedSandbox(layout, process, connection);
        }
        catch (Exception e)
        {
            var stderr = process is null ? null : await process.StderrTailAsync().ConfigureAwait(false);
            var runscLog = ReadLogTail(layout.RunscLogPath);
            var exit = process?.ExitCode is { } code ? $"runsc exited with {code}" : "runsc was still running";
            await teardown.RunAsync(layout, connection, process).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            if (e is CleanroomException { Code: not (AgentClientErrorCodes.ConnectionLost or AgentClientErrorCodes.Incompatible or AgentClientErrorCodes.ProtocolViolation) } known && process is null)
                throw known; // failed before runsc started: the message already says what to fix
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"the gVisor sandbox {layout.SandboxId} did not become ready: {e.Message} ({exit}). runsc stderr: {stderr ?? "(not started)"}"
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
