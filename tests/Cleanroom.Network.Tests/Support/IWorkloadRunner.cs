using System.Net;

namespace Cleanroom.Network.Tests;

/// <summary>What a program run inside the sandbox left behind.</summary>
public sealed record WorkloadResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs a program inside a sandbox's network. The egress conformance cases only talk to this, so the
/// same cases run through <see cref="NsenterWorkloadRunner"/> (a host process in the namespace) and through
/// a real backend (<see cref="BackendWorkloadRunner"/>: a gVisor sandbox started in the namespace, or a QEMU
/// guest behind it). A runner that holds something (a sandbox) is also <see cref="IAsyncDisposable"/>.
/// </summary>
public interface IWorkloadRunner
{
    /// <summary>How to start the probe program (tests/Cleanroom.Network.Probe) where this runner runs programs.</summary>
    IReadOnlyList<string> ProbeCommand { get; }

    Task<WorkloadResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout);

    /// <summary>
    /// Gives the workload's own network stack one more address (/32) on its link to the host, one the host never
    /// handed out, so a probe can send from a forged source: in the namespace for a process or gVisor sandbox that
    /// uses the namespace's stack, inside the guest for a VM.
    /// </summary>
    Task AddLinkAddressAsync(IPAddress address);
}

/// <summary>Runs the program on the host, inside the sandbox's network namespace only (nsenter --net).</summary>
public sealed class NsenterWorkloadRunner(string namespacePath) : IWorkloadRunner
{
    public IReadOnlyList<string> ProbeCommand => EgressProbe.ManagedCommand;

    public async Task<WorkloadResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout)
    {
        var (code, stdout, stderr) = await HostShell.RunAsync(["nsenter", $"--net={namespacePath}", .. argv], check: false).WaitAsync(timeout);
        return new WorkloadResult(code, stdout, stderr);
    }

    public Task AddLinkAddressAsync(IPAddress address) => HostShell.RunAsync(
        ["nsenter", $"--net={namespacePath}", "ip", "addr", "add", $"{address}/32", "dev", SandboxNames.SandboxLink]);
}
