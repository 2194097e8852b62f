using System.Globalization;
using System.Net;
using System.Text;
using Cleanroom.Backends;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Runs programs in a real backend sandbox started inside the sandbox network (by an <see cref="ISandboxHost"/>:
/// a gVisor sandbox with <c>--network=host</c> under <c>nsenter --net</c>, or a QEMU guest behind the namespace's
/// bridge), through the agent, as every workload runs. The sandbox is made on the first run and reused for every
/// later run in the same network; disposing terminates it.
/// <para>
/// The AOT probe goes in once per sandbox through the agent's stdin path (<c>cat &gt; /tmp/probe</c>): the
/// backend contract has no file write, and stdin is how a user's own data reaches a sandbox, so nothing is
/// added to the product for the test. It runs through the agent's staged loader and libc at /.cleanroom,
/// like the agent itself, so it does not care which libc the image has.
/// </para>
/// </summary>
public sealed class BackendWorkloadRunner(ISandboxHost host, SandboxNetwork network) : IWorkloadRunner, IAsyncDisposable
{
    public const string GuestProbePath = "/tmp/probe";

    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(90);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IProvisionedSandbox? _sandbox;
    private bool _disposed;

    public IReadOnlyList<string> ProbeCommand { get; } =
        ["/.cleanroom/lib/ld-linux-x86-64.so.2", "--library-path", "/.cleanroom/lib", GuestProbePath];

    public async Task<WorkloadResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout)
    {
        var sandbox = await SandboxAsync();
        using var deadline = new CancellationTokenSource(timeout);
        return await RunInAsync(sandbox, argv, stdin: null, deadline.Token);
    }

    public async Task AddLinkAddressAsync(IPAddress address)
    {
        if (host.SharesNamespaceStack)
        {
            await new NsenterWorkloadRunner(network.NamespacePath).AddLinkAddressAsync(address);
            return;
        }
        // A guest kernel of its own: its link is its own eth0 (the virtio-net device), and the workload is root there.
        var sandbox = await SandboxAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await RunInAsync(sandbox, ["ip", "addr", "add", $"{address}/32", "dev", "eth0"], stdin: null, deadline.Token);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"adding {address} inside sandbox {sandbox.SandboxId} failed (exit {result.ExitCode}): {result.Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            if (_sandbox is { } sandbox)
                await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            _sandbox = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IProvisionedSandbox> SandboxAsync()
    {
        await _gate.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sandbox is { } existing)
                return existing;
            using var deadline = new CancellationTokenSource(SetupTimeout);
            var sandbox = await host.ProvisionAsync(network, deadline.Token);
            try
            {
                await InstallProbeAsync(sandbox, deadline.Token);
            }
            catch
            {
                await sandbox.TerminateAsync(CancellationToken.None);
                throw;
            }
            return _sandbox = sandbox;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task InstallProbeAsync(IProvisionedSandbox sandbox, CancellationToken cancellationToken)
    {
        var result = await RunInAsync(sandbox, ["sh", "-c", $"cat > {GuestProbePath} && wc -c < {GuestProbePath}"], host.Probe, cancellationToken);
        var written = result.Stdout.Trim();
        if (result.ExitCode != 0 || written != host.Probe.Length.ToString(CultureInfo.InvariantCulture))
            throw new InvalidOperationException(
                $"copying the probe into sandbox {sandbox.SandboxId} failed (exit {result.ExitCode}, {written} of {host.Probe.Length} bytes): {result.Stderr}");
    }

    private static async Task<WorkloadResult> RunInAsync(IProvisionedSandbox sandbox, IReadOnlyList<string> argv, byte[]? stdin, CancellationToken cancellationToken)
    {
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec { Argv = argv, Stdin = stdin is not null }, cancellationToken);
        var writer = stdin is null ? Task.CompletedTask : WriteAllAsync(execution, stdin, cancellationToken);
        try
        {
            var stdout = new MemoryStream();
            var stderr = new MemoryStream();
            await foreach (var chunk in execution.Output.ReadAllAsync(cancellationToken))
                (chunk.Stream == OutputStream.Stdout ? stdout : stderr).Write(chunk.Data.Span);
            var exit = await execution.Completion.WaitAsync(cancellationToken);
            await writer.WaitAsync(cancellationToken);
            return new WorkloadResult(exit.ExitCode, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await execution.SignalAsync(SignalNumbers.Kill, CancellationToken.None);
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish in sandbox {sandbox.SandboxId} in time");
        }
    }

    private static async Task WriteAllAsync(IRunningExecution execution, byte[] data, CancellationToken cancellationToken)
    {
        const int Chunk = 64 * 1024;
        for (var offset = 0; offset < data.Length; offset += Chunk)
            await execution.WriteStdinAsync(data.AsMemory(offset, Math.Min(Chunk, data.Length - offset)), cancellationToken);
        await execution.CloseStdinAsync(cancellationToken);
    }
}
