using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Qemu.Vm;
using Cleanroom.Images;

namespace Cleanroom.Backends.Qemu.Sandbox;

/// <summary>
/// One running microVM: QEMU with the agent as the guest's init, reached over the virtio-serial socket.
/// Terminate stops the agent (the guest then syncs and reboots, ending QEMU) and removes the run directory
/// with the disk overlay, then the VM's TAP.
/// </summary>
internal sealed class QemuSandbox(LaunchedVm vm, ImageConfig image, VmTeardown teardown, Func<Task>? removeNetwork = null)
    : AgentSandbox(vm.Run.SandboxId, vm.Agent, image)
{
    /// <summary>QEMU's pid on the host (for tests and diagnostics).</summary>
    internal int QemuPid => vm.Process.Pid;

    internal SandboxRunDirectory Run => vm.Run;

    /// <summary>The connection to the agent (tests close it to do what a server's death does).</summary>
    internal Cleanroom.Agent.Client.AgentConnection Agent => vm.Agent;

    protected override async Task TeardownAsync()
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
    }
}
