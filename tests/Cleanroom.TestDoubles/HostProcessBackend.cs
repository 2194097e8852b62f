using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Cleanroom.Backends;

namespace Cleanroom.TestDoubles;

/// <summary>
/// A backend with no isolation at all, for tests only: each execution is a real host process, so output,
/// stdin, signals and exit codes are the operating system's, not a script's.
/// </summary>
public sealed class HostProcessBackend(BackendCapabilities capabilities) : ISandboxBackend
{
    /// <summary>What the double claims by default: everything, so capability checks never stop a test.</summary>
    public static readonly BackendCapabilities FullCapabilities = BackendCapabilities.None
        .With(CapabilityNames.Isolation, "none (test double)")
        .With(CapabilityNames.NetworkDefaultDeny, true)
        .With(CapabilityNames.NetworkEgressAllowlist, true)
        .With(CapabilityNames.NetworkDnsPolicy, true)
        .With(CapabilityNames.PersistentSandboxes, true)
        .With(CapabilityNames.FileDownload, true)
        .With(CapabilityNames.Ports, true);

    public HostProcessBackend()
        : this(FullCapabilities)
    {
    }

    public string Name => "host-process";
    public BackendCapabilities Capabilities { get; } = capabilities;

    public Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult(BackendHealth.Ok());

    public Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken) =>
        Task.FromResult<IProvisionedSandbox>(new HostSandbox(spec.SandboxId));

    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken) =>
        Task.FromResult(BackendReconciliation.Nothing);

    private sealed class HostSandbox(string sandboxId) : IProvisionedSandbox, ISandboxPorts
    {
        /// <summary>The "sandbox's loopback" is the host's: a test serves a guest port with a listener of its own.</summary>
        public async Task<SandboxPortConnection> ConnectPortAsync(ushort port, CancellationToken cancellationToken)
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                socket.Dispose();
                throw new Cleanroom.Errors.CleanroomException(Cleanroom.Errors.ErrorCode.ConnectionRefused, $"nothing listens on port {port}: {e.Message}");
            }
            return new SandboxPortConnection(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true),
                _ => { socket.Shutdown(System.Net.Sockets.SocketShutdown.Send); return Task.CompletedTask; });
        }

        private readonly List<HostExecution> _executions = [];

        public string SandboxId { get; } = sandboxId;

        public Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken)
        {
            var execution = new HostExecution(spec);
            lock (_executions) _executions.Add(execution);
            return Task.FromResult<IRunningExecution>(execution);
        }

        public Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(File.OpenRead(guestPath));

        public async Task TerminateAsync(CancellationToken cancellationToken)
        {
            HostExecution[] executions;
            lock (_executions) executions = _executions.ToArray();
            foreach (var execution in executions)
                await execution.SignalAsync(SignalNumbers.Kill, cancellationToken);
        }
    }

    private sealed class HostExecution : IRunningExecution
    {
        private readonly Process _process;
        private readonly Channel<OutputChunk> _output = Channel.CreateBounded<OutputChunk>(8);
        private volatile bool _disposed;

        public HostExecution(ExecutionSpec spec)
        {
            var start = new ProcessStartInfo(spec.Argv[0])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = spec.Cwd ?? Environment.CurrentDirectory,
            };
            foreach (var arg in spec.Argv.Skip(1))
                start.ArgumentList.Add(arg);
            foreach (var (name, value) in spec.Env)
                start.Environment[name] = value;
            _process = Process.Start(start)!;
            if (!spec.Stdin)
                _process.StandardInput.Close();
            var pumps = Task.WhenAll(
                PumpAsync(_process.StandardOutput.BaseStream, OutputStream.Stdout),
                PumpAsync(_process.StandardError.BaseStream, OutputStream.Stderr));
            pumps.ContinueWith(t => _output.Writer.TryComplete(t.Exception), TaskScheduler.Default);
            Completion = WaitForExitAsync();
        }

        public ChannelReader<OutputChunk> Output => _output.Reader;
        public Task<ExitStatus> Completion { get; }

        public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await _process.StandardInput.BaseStream.WriteAsync(data, cancellationToken);
            await _process.StandardInput.BaseStream.FlushAsync(cancellationToken);
        }

        public ValueTask CloseStdinAsync(CancellationToken cancellationToken)
        {
            _process.StandardInput.Close();
            return ValueTask.CompletedTask;
        }

        // Host processes run on pipes, never on a terminal: there is nothing to resize.
        public Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SignalAsync(int signal, CancellationToken cancellationToken)
        {
            // A disposed execution has ended; terminating its sandbox later must not touch the dead handle.
            if (!_disposed && !_process.HasExited)
                _ = kill(_process.Id, signal);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            _process.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<ExitStatus> WaitForExitAsync()
        {
            await _process.WaitForExitAsync();
            // .NET reports death by signal N as 128+N on Unix.
            return _process.ExitCode > 128 && _process.ExitCode < 160
                ? ExitStatus.KilledBy(_process.ExitCode - 128)
                : ExitStatus.Exited(_process.ExitCode);
        }

        private async Task PumpAsync(Stream source, OutputStream stream)
        {
            while (true)
            {
                var buffer = new byte[4096];
                var read = await source.ReadAsync(buffer);
                if (read == 0)
                    return;
                await _output.Writer.WriteAsync(new OutputChunk(stream, buffer.AsMemory(0, read)));
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }
}
