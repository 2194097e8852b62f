using System.Security.Cryptography;
using Cleanroom.Backends.Qemu.Boot;
using Cleanroom.Backends.Qemu.Disks;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Sandbox;
using Cleanroom.Backends.Qemu.Vm;
using Cleanroom.Errors;
using Cleanroom.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Backends.Qemu;

/// <summary>
/// The <c>qemu</c> backend: one microVM per sandbox (QEMU <c>-M microvm</c>, KVM when a probe boot proves it
/// works, else TCG emulation), our minimal kernel, the guest agent as init, the image as an ext4 disk under a
/// per-sandbox qcow2 overlay. See README.md in this folder for the design and the numbers behind it.
/// </summary>
public sealed class QemuBackend : ISandboxBackend
{
    public const string BackendName = "qemu";

    private readonly QemuBackendOptions _options;
    private readonly ImageStore _images;
    private readonly ILogger _logger;
    private readonly AgentInitramfs _initramfs;
    private readonly Ext4ImageBuilder _ext4;
    private readonly SandboxDisk _disks;
    private readonly VmTeardown _teardown;
    private readonly VmLauncher _launcher;
    private readonly ProbeBoot _probe;
    private readonly NamespaceBridge _bridge;
    private readonly SemaphoreSlim _decisionGate = new(1, 1);
    private AcceleratorDecision? _decision;

    public QemuBackend(QemuBackendOptions options, ImageStore images, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(images);
        _options = options with
        {
            SandboxRoot = Path.GetFullPath(options.SandboxRoot),
            CacheRoot = Path.GetFullPath(options.CacheRoot),
            AgentDirectory = Path.GetFullPath(options.AgentDirectory),
        };
        _images = images;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<QemuBackend>();
        var runner = new ProgramRunner(_logger);
        _initramfs = new AgentInitramfs(_options.AgentDirectory, _options.CacheRoot);
        _ext4 = new Ext4ImageBuilder(images, _options.CacheRoot, runner, _options.CommandTimeout);
        _disks = new SandboxDisk(runner, _options.CommandTimeout);
        _teardown = new VmTeardown(_logger, _options.TerminateGrace);
        _launcher = new VmLauncher(_options, _teardown, _logger);
        _probe = new ProbeBoot(_options, runner, _logger);
        _bridge = new NamespaceBridge(runner, _options.CommandTimeout, _logger);
    }

    public string Name => BackendName;

    /// <summary><c>accelerated</c> reflects the accelerator decision; it reads false until a probe has made one.</summary>
    public BackendCapabilities Capabilities => QemuCapabilities.For(_decision?.Accelerated ?? false);

    /// <summary>The accelerator in use and why, for <c>doctor</c>; null until the first probe or sandbox.</summary>
    public AcceleratorDecision? Accelerator => _decision;

    /// <summary>The guest kernel sandboxes boot: <c>backends.qemu.kernel</c>, else what scripts/build-kernel.sh built.</summary>
    public string? KernelPath => _options.Settings.KernelPath ?? _options.DefaultKernelPath
        ?? (_options.KernelDataHome is { } dataHome ? QemuBackendOptions.BuiltKernel(dataHome) : null);

    public async Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (kernel, initramfs) = await BootFilesAsync(cancellationToken).ConfigureAwait(false);
            var decision = await DecideAcceleratorAsync(kernel, initramfs, cancellationToken).ConfigureAwait(false);
            if (decision.Accelerator == Vm.Accelerator.Tcg)
            {
                // KVM was proven by its own probe boot; emulation is proven here, so "usable" always means "booted".
                var boot = await _probe.RunAsync(Vm.Accelerator.Tcg, kernel, initramfs, _options.TcgProbeTimeout, cancellationToken).ConfigureAwait(false);
                if (boot.Problem is not null)
                    return BackendHealth.Unusable($"QEMU cannot boot the guest kernel {kernel} even emulated: {boot.Problem}");
            }
            return BackendHealth.Ok();
        }
        catch (CleanroomException e)
        {
            return BackendHealth.Unusable(e.Message);
        }
    }

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var run = SandboxRunDirectory.For(_options.SandboxRoot, spec.SandboxId);
        if (spec.Resources.Vcpus is < 1)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"a sandbox needs at least one vCPU, not {spec.Resources.Vcpus}");
        var settings = _options.Settings.WithSandboxSection(spec.RuntimeConfig);
        var vcpus = Math.Max(spec.Resources.Vcpus ?? 1, settings.MinVcpus);
        var memoryMib = (int)Math.Max((spec.Resources.MemoryBytes ?? _options.DefaultMemoryBytes) >> 20, settings.MinMemoryMib);
        if (spec.Policy.DockerRequired)
            memoryMib = (int)Math.Max(memoryMib, _options.DockerMemoryBytes >> 20);

        var image = _images.Resolve(spec.ImageRef);
        var (kernel, initramfs) = await BootFilesAsync(cancellationToken).ConfigureAwait(false);
        var decision = await DecideAcceleratorAsync(kernel, initramfs, cancellationToken).ConfigureAwait(false);
        var baseDisk = await _ext4.EnsureAsync(spec.ImageRef, cancellationToken).ConfigureAwait(false);
        var plan = SandboxDisk.Plan(baseDisk, spec.Resources.DiskBytes ?? _options.DefaultDiskBytes);

        Directory.CreateDirectory(_options.SandboxRoot);
        if (Directory.Exists(run.Path))
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"sandbox {spec.SandboxId} already has a run directory at {run.Path}; a sandbox id is used once (restart the server to clear leftovers)");
        // The run directory holds the socket and the overlay with the sandbox's writes: root only.
        Directory.CreateDirectory(run.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        GuestNetworkAttachment? network = null;
        try
        {
            await _disks.CreateAsync(baseDisk, plan, run.Overlay, cancellationToken).ConfigureAwait(false);
            // With an attachment the VM joins the sandbox's network namespace (the server's egress enforcement
            // sits on its link); without one it has no network device at all.
            if (spec.Attachment is { } attachment)
                network = await _bridge.AttachAsync(attachment, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _teardown.RunAsync(run, connection: null, process: null).ConfigureAwait(false);
            if (spec.Attachment is { } attachment)
                await _bridge.RemoveTapAsync(attachment.NamespacePath).ConfigureAwait(false);
            throw;
        }

        LaunchedVm vm;
        try
        {
            vm = await _launcher.LaunchAsync(run, new VmLaunchSpec
            {
                SandboxId = spec.SandboxId,
                QemuBinary = _options.Settings.BinaryPath,
                Accelerator = decision.Accelerator,
                Vcpus = vcpus,
                MemoryMib = memoryMib,
                KernelPath = kernel,
                InitramfsPath = initramfs,
                ConsoleLogPath = run.ConsoleLog,
                PidFilePath = run.PidFile,
                DiskPath = run.Overlay,
                ResizeBlocks = plan.ResizeBlocks,
                EntropySeedHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
                RunAsUser = _options.RunAsUser,
                Network = network,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch when (network is not null)
        {
            // The launcher removed the run directory; the TAP lives in the namespace, which the caller owns.
            await _bridge.RemoveTapAsync(network.NetnsPath).ConfigureAwait(false);
            throw;
        }
        _logger.LogInformation("sandbox {SandboxId} ready: QEMU pid {Pid} ({Accelerator}, {Vcpus} vCPU, {Memory} MiB), image {Image}, network {Network}",
            spec.SandboxId, vm.Process.Pid, decision.Accelerator, vcpus, memoryMib, spec.ImageRef, network?.GuestAddress ?? "none");
        var sandbox = new QemuSandbox(vm, image.Config, _teardown, network is null ? null : () => _bridge.RemoveTapAsync(network.NetnsPath));
        if (spec.Attachment is { GuestFiles.Count: > 0 } withFiles)
        {
            try
            {
                await GuestFileWriter.WriteAsync(sandbox, withFiles.GuestFiles, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Fail closed, as gVisor does when it cannot mount them: no sandbox without the files it was promised.
                await sandbox.TerminateAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        return sandbox;
    }

    /// <summary>Takes back the expected VMs that still run and answer, and removes every other VM and run directory (<see cref="VmReadoption"/>).</summary>
    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken) =>
        new VmReadoption(_options, _teardown, _images, _logger).RunAsync(expectedLive, cancellationToken);

    private async Task<(string Kernel, string Initramfs)> BootFilesAsync(CancellationToken cancellationToken)
    {
        var kernel = KernelPath ?? throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
            "no guest kernel yet: scripts/setup.sh builds it in the background (about 5 minutes the first time; "
            + "scripts/build-kernel.sh waits for that build or runs one), or set backends.qemu.kernel");
        if (!File.Exists(kernel))
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"the guest kernel {kernel} does not exist; run scripts/build-kernel.sh, or fix backends.qemu.kernel");
        return (kernel, await _initramfs.EnsureAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task<AcceleratorDecision> DecideAcceleratorAsync(string kernel, string initramfs, CancellationToken cancellationToken)
    {
        if (_decision is { } decided)
            return decided;
        await _decisionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_decision is null)
            {
                var (decision, problem) = await new AcceleratorSelection(_options, _probe).DecideAsync(kernel, initramfs, cancellationToken).ConfigureAwait(false);
                _decision = decision ?? throw new CleanroomException(ErrorCode.BackendUnavailable, problem!);
                _logger.LogInformation("qemu accelerator: {Accelerator} ({Reason})", _decision.Accelerator, _decision.Reason);
            }
            return _decision;
        }
        finally
        {
            _decisionGate.Release();
        }
    }
}
