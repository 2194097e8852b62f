using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;
using Cleanroom.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The <c>gvisor</c> backend: one runsc container per sandbox, gVisor's user-space kernel as the boundary,
/// the guest agent as PID 1 listening on a socket in the sandbox's channel directory. See README.md in this folder for the design and the
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
    private readonly GvisorProbe _probe;
    private readonly SandboxSuspension _suspension;
    private readonly SemaphoreSlim _decisionGate = new(1, 1);
    private PlatformDecision? _platform;

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
        _probe = new GvisorProbe(_options, _runsc, _launcher, _teardown);
        _suspension = new SandboxSuspension(_options, _runsc, _teardown, new ProcessRunner(_logger), _logger);
    }

    public string Name => BackendName;

    public BackendCapabilities Capabilities { get; } = GvisorCapabilities.Map;

    /// <summary>The runsc version the last successful probe saw, for <c>doctor</c>; null before one.</summary>
    public string? RunscVersion { get; private set; }

    /// <summary>The platform sandboxes run on and why, for <c>doctor</c>; null until the first probe or sandbox.</summary>
    public PlatformDecision? Platform => _platform;

    /// <summary>
    /// The first probe decides the platform (its probe sandboxes are the health check); later probes start one
    /// sandbox under the decided platform. The server probes every backend at start, so the decision is made there.
    /// </summary>
    public async Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken)
    {
        var (problem, version) = await _probe.CheckPrerequisitesAsync(cancellationToken).ConfigureAwait(false);
        if (version is not null)
            RunscVersion = version;
        if (problem is not null)
            return BackendHealth.Unusable(problem);
        if (_platform is { } decided)
        {
            return await _probe.TryPlatformAsync(decided.Platform, cancellationToken).ConfigureAwait(false) is { } failure
                ? BackendHealth.Unusable($"{version} cannot start a sandbox under {decided.Platform}: {failure}")
                : BackendHealth.Ok();
        }
        try
        {
            await DecidePlatformAsync(cancellationToken).ConfigureAwait(false);
            return BackendHealth.Ok();
        }
        catch (CleanroomException e)
        {
            return BackendHealth.Unusable($"{version}: {e.Message}");
        }
    }

    public async Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var layout = SandboxLayout.For(_options.SandboxRoot, spec.SandboxId);
        if (spec.Resources.Vcpus is < 1)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"a sandbox needs at least one vCPU, not {spec.Resources.Vcpus}");
        if (spec.Resources.MemoryBytes is < 64L << 20)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"a gVisor sandbox needs at least 64 MiB of memory, not {spec.Resources.MemoryBytes} bytes");

        var disk = DecideDisk(spec.SandboxId, spec.Resources.DiskBytes);
        var settings = _options.Settings.WithSandboxSection(spec.RuntimeConfig);
        // Normally the server's start-up probe has decided. Without one, a named platform is used as it is (if it
        // cannot run, the launch fails with runsc's reason: still never another platform); auto decides now.
        var platform = _platform?.Platform ?? PlatformNames.Of(_options.Settings.Platform)
            ?? (await DecidePlatformAsync(cancellationToken).ConfigureAwait(false)).Platform;
        var image = _images.Resolve(spec.ImageRef);
        var rootfs = await _images.MaterialiseAsync(spec.ImageRef, cancellationToken).ConfigureAwait(false);
        var launched = await _launcher.LaunchAsync(
            new LaunchRequest(layout, rootfs, settings, platform, spec.Resources.MemoryBytes ?? _options.DefaultMemoryBytes, spec.Resources.Vcpus, disk.Bytes, spec.Attachment, spec.Policy.DockerRequired,
                spec.SnapshotDirectory is { } snapshot ? SnapshotFiles.CheckpointOf(snapshot) : null),
            cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("sandbox {SandboxId} ready ({Platform}), image {Image}, disk {Disk}; {Timings}",
            spec.SandboxId, platform, spec.ImageRef, DiskLimit.Describe(disk.Bytes), launched.Timings);
        return new GvisorSandbox(launched, image.Config, _teardown, _suspension);
    }

    /// <summary>
    /// The sandbox's disk limit (the policy's, else <c>default_disk_mib</c>), capped to what the sandbox root's file system
    /// can spare now; a cap is logged, since the workload will see ENOSPC sooner than its policy says.
    /// </summary>
    private DiskLimit DecideDisk(string sandboxId, long? requestedBytes)
    {
        var limit = DiskLimit.ForRoot(requestedBytes, _options.Settings.DefaultDiskBytes, _options.SandboxRoot);
        if (limit.CappedFrom is { } wanted)
        {
            _logger.LogWarning("sandbox {SandboxId}: disk limit capped from {Wanted} to {Limit}: that is all {Root} can spare now",
                sandboxId, DiskLimit.Describe(wanted), DiskLimit.Describe(limit.Bytes), _options.SandboxRoot);
        }
        return limit;
    }

    /// <summary>
    /// Takes back the expected sandboxes whose containers still run and whose agents answer on their channel
    /// sockets (a sandbox does not depend on the server that started it), and removes everything else of ours:
    /// see <see cref="SandboxReadoption"/>.
    /// </summary>
    public Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken) =>
        new SandboxReadoption(_options, _runsc, _teardown, _suspension, _images, _logger).RunAsync(expectedLive, cancellationToken);

    /// <summary>
    /// The platform, decided once per backend (i.e. per server) by <see cref="PlatformSelection"/>. A failed
    /// decision is not kept, so fixing the host works without a restart; it throws <c>backend_unavailable</c>.
    /// </summary>
    private async Task<PlatformDecision> DecidePlatformAsync(CancellationToken cancellationToken)
    {
        if (_platform is { } decided)
            return decided;
        await _decisionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_platform is null)
            {
                var (decision, problem) = await new PlatformSelection(_options.Settings.Platform, _probe.TryPlatformAsync)
                    .DecideAsync(cancellationToken).ConfigureAwait(false);
                _platform = decision ?? throw new CleanroomException(ErrorCode.BackendUnavailable, problem!);
                _logger.LogInformation("gvisor platform: {Platform} ({Reason})", _platform.Platform, _platform.Reason);
            }
            return _platform;
        }
        finally
        {
            _decisionGate.Release();
        }
    }
}
