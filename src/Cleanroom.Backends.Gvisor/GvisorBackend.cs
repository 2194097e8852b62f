using Cleanroom.Errors;
using Cleanroom.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The <c>gvisor</c> backend: one runsc container per sandbox, gVisor's user-space kernel as the boundary,
/// the guest agent as PID 1 on the container's stdio. See README.md in this folder for the design and the
/// numbers behind it.
/// </summary>
public sealed class GvisorBackend : ISandboxBackend
{
    public const string BackendName = "gvisor";

    private readonly GvisorBackendOptions _options;
    private readonly ImageStore _images;
    private readonly ILogger _logger;
    private readonly Runsc _runsc;
    private readonly SandboxTeardown _teardown;
    private readonly SandboxLauncher _launcher;

    public GvisorBackend(GvisorBackendOptions options, ImageStore images, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(images);
        _options = options with
        {
            RunscRoot = Path.GetFullPath(options.RunscRoot),
            SandboxRoot = Path.GetFullPath(options.SandboxRoot),
            AgentDirectory = Path.GetFullPath(options.AgentDirectory),
        };
        _images = images;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<GvisorBackend>();
        _runsc = new Runsc(_options.Settings.RunscPath, _options.RunscRoot, new ProcessRunner(_logger), _options.CommandTimeout);
        _teardown = new SandboxTeardown(_runsc, _logger, _options.TerminateGrace);
        _launcher = new SandboxLauncher(_options, _runsc, _teardown, _logger);
    }

    public string Name => BackendName;

    public BackendCapabilities Capabilities { get; } = GvisorCapabilities.Map;

    /// <summary>The runsc version the last successful probe saw, for <c>doctor</c>; null before one.</summary>
    public string? RunscVersion { get; private set; }

    public async Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = new GvisorProbe(_options, _runsc, _launcher, _teardown);
        var (health, version) = await probe.RunAsync(cancellationToken).ConfigureAwait(false);
        if (version is not null)
            RunscVersion = version;
        return health;
    }

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var layout = SandboxLayout.For(_options.SandboxRoot, spec.SandboxId);
        if (spec.Resources.DiskBytes is not null)
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                "the gvisor backend cannot enforce a disk limit; leave the disk size unset for gVisor sandboxes");
        if (spec.Resources.Vcpus is < 1)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"a sandbox needs at least one vCPU, not {spec.Resources.Vcpus}");
        if (spec.Resources.MemoryBytes is < 64L << 20)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"a gVisor sandbox needs at least 64 MiB of memory, not {spec.Resources.MemoryBytes} bytes");

        var settings = _options.Settings.WithSandboxSection(spec.RuntimeConfig);
        var image = _images.Resolve(spec.ImageRef);
        var rootfs = await _images.MaterialiseAsync(spec.ImageRef, cancellationToken).ConfigureAwait(false);
        var launched = await _launcher.LaunchAsync(
            new LaunchRequest(layout, rootfs, settings, spec.Resources.MemoryBytes ?? _options.DefaultMemoryBytes, spec.Resources.Vcpus, spec.Attachment),
            cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("sandbox {SandboxId} ready: runsc pid {Pid}, image {Image}", spec.SandboxId, launched.Process.Pid, spec.ImageRef);
        return new GvisorSandbox(launched, image.Config, _teardown);
    }

    /// <summary>
    /// Re-adoption is impossible: the agent's only channel was the old server's pipes to runsc run's stdio,
    /// and those died with it (the agent then read end-of-file and exited, ending its container). So every
    /// sandbox of ours still listed by runsc, every run directory and any runsc process under our root is a
    /// leftover, expected or not: all are removed and none is returned.
    /// </summary>
    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken) =>
        new LeftoverSweeper(_options, _runsc, _teardown, _logger).SweepAsync(cancellationToken);
}
