using System.Collections.Immutable;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Hosting;
using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Network;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Egress;
using Cleanroom.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server;

/// <summary>
/// The composition root of <c>cleanroom serve</c>: sets up egress enforcement, opens the durable control plane
/// (which reconciles what a previous server left), registers the backends, and serves the API until stopped.
/// </summary>
public sealed class CleanroomServer : IAsyncDisposable
{
    private readonly SandboxControl _control;
    private readonly WebApplication _app;
    private readonly EgressEnforcement? _enforcement;
    private Observability.TelemetryExport? _telemetry;

    private CleanroomServer(SandboxControl control, WebApplication app, EgressEnforcement? enforcement)
    {
        _control = control;
        _app = app;
        _enforcement = enforcement;
    }

    public SandboxControl Control => _control;

    /// <summary>Where the API listens, with the real port where an address asked for port 0.</summary>
    public IReadOnlyList<ApiAddress> BoundAddresses => _app.Services.GetRequiredService<ApiServerAddresses>().Bound;

    /// <summary>The production server: this host's backends, with egress enforcement when the host supports it.</summary>
    public static async Task<CleanroomServer> StartAsync(
        IReadOnlyList<ApiAddress> listen, HostDirectories directories, RuntimeConfiguration configuration, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        // A second server on this state directory, or an address it may not serve, says so now, not after probing
        // every backend.
        SandboxControl.EnsureStateDirectoryFree(directories.StateHome);
        ApiHost.Validate(listen, api => ApiSecurity.Apply(configuration, api));
        var logger = loggers.CreateLogger<CleanroomServer>();
        // First, so start-up's own work (re-adoption, the warm pool's first spares) is traced and counted too.
        var telemetry = Observability.TelemetryExport.Start(configuration.Observability);
        try
        {
            var server = await StartObservedAsync(listen, directories, configuration, loggers, logger, cancellationToken);
            server._telemetry = telemetry;
            return server;
        }
        catch
        {
            telemetry.Dispose();
            throw;
        }
    }

    private static async Task<CleanroomServer> StartObservedAsync(
        IReadOnlyList<ApiAddress> listen, HostDirectories directories, RuntimeConfiguration configuration, ILoggerFactory loggers, ILogger logger,
        CancellationToken cancellationToken)
    {
        SandboxControl? control = null;
        var recorder = new EgressEventRecorder(() => control, Path.Combine(directories.StateHome, "audit", "egress.jsonl"), logger);
        var enforcement = await StartEnforcementAsync(configuration, Path.Combine(directories.CacheHome, "gateway-mirrors"), recorder, loggers, logger, cancellationToken);
        var backends = BackendCatalog.ForHost(configuration, directories, loggers, HostImageStore.Open(directories), enforcement);
        if (configuration.DefaultBackend is null)
        {
            var chosen = await BackendCatalog.ChooseDefaultAsync(backends, cancellationToken);
            logger.LogInformation("default backend: {Backend} (no default_backend in the runtime config)", chosen);
            configuration = configuration with { DefaultBackend = chosen };
        }

        var server = await StartAsync(listen, directories, configuration, backends, loggers, cancellationToken, enforcement, pullMissingImages: true);
        control = server.Control;
        // Before the server says it is ready, so the first create finds the spare (still starting, which is further
        // along than a cold start). It costs start-up the backend's probe, which that first create would pay anyway.
        await WarmPoolPriming.PrimeAsync(server.Control, new ServerSettings(configuration), HostImageStore.Open(directories), logger, cancellationToken);
        return server;
    }

    /// <summary>
    /// A server over the given backends (tests pass doubles here). <paramref name="pullMissingImages"/> makes
    /// CreateSandbox pull a policy's image that is not in the store yet.
    /// </summary>
    public static async Task<CleanroomServer> StartAsync(
        IReadOnlyList<ApiAddress> listen,
        HostDirectories directories,
        RuntimeConfiguration configuration,
        BackendRegistry backends,
        ILoggerFactory loggers,
        CancellationToken cancellationToken,
        EgressEnforcement? enforcement = null,
        bool pullMissingImages = false)
    {
        var control = await SandboxControl.OpenAsync(
            new ControlPlaneOptions
            {
                StateDirectory = directories.StateHome,
                WarmPoolSize = configuration.WarmPool.Size,
                BlockCacheDirectory = Path.Combine(directories.CacheHome, "blocks"),
                BlockCacheMaxBytes = configuration.BlockCache.MaxBytes,
                RecordRetention = configuration.Records.RetentionDays == 0 ? null : TimeSpan.FromDays(configuration.Records.RetentionDays),
                IdleSuspendAfter = configuration.SandboxLifecycle.IdleSuspendAfterSeconds == 0 ? null : TimeSpan.FromSeconds(configuration.SandboxLifecycle.IdleSuspendAfterSeconds),
                WakeTimeout = TimeSpan.FromSeconds(configuration.SandboxLifecycle.WakeTimeoutSeconds),
            }, backends, TimeProvider.System, loggers, cancellationToken);
        try
        {
            if (enforcement is not null)
            {
                // After the backends reconciled: networks of sandboxes that are neither READY nor SUSPENDED now belong to nobody.
                var live = (await control.ListSandboxesAsync(cancellationToken))
                    .Where(s => s.Status is ControlPlane.SandboxStatus.Ready or ControlPlane.SandboxStatus.Suspended).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                await enforcement.Networks.ReconcileAsync(live, cancellationToken);
            }

            var settings = new ServerSettings(configuration) { SpoolDirectory = Path.Combine(directories.StateHome, "spool"), RoutesCaCertificate = directories.RoutesCaCertificate };
            var app = ApiHost.Build(listen, services =>
            {
                services.AddSingleton(loggers);
                services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
                services.AddSingleton(control);
                services.AddSingleton(settings);
                var images = HostImageStore.Open(directories);
                services.AddSingleton(images);
                if (pullMissingImages)
                {
                    // Real backends need the image; test doubles run none, and must never send a test to a registry.
                    services.AddSingleton(HostImagePuller.Create(images, configuration));
                    services.AddSingleton<LazyImagePull>();
                }
                if (enforcement?.Gateway is { } gateway)
                {
                    services.AddSingleton(new Checkouts.RepositoryCheckouts(enforcement.Networks, gateway,
                        Path.Combine(directories.CacheHome, "checkouts"), loggers.CreateLogger<Checkouts.RepositoryCheckouts>()));
                }
                services.AddSingleton<SandboxAccess>();
                services.AddSingleton<V1.SandboxService.SandboxServiceBase, SandboxApi>();
                services.AddSingleton<V1.ExecutionService.ExecutionServiceBase, ExecutionApi>();
                services.AddSingleton<V1.WorkspaceService.WorkspaceServiceBase, WorkspaceApi>();
                services.AddSingleton<Ports.PortExposures>();
                services.AddSingleton<Routes.HttpsRoutes>();
                services.AddSingleton<V1.PortService.PortServiceBase, PortApi>();
                services.AddSingleton(provider => new Storage.HostStorage(directories, images, control, enforcement?.Gateway?.Mirrors,
                    enforcement?.Gateway?.RegistryCache, configuration.DefaultImage, TimeProvider.System, provider.GetRequiredService<ILogger<Storage.HostStorage>>()));
                services.AddSingleton<V1.SystemService.SystemServiceBase, SystemApi>();
            }, api =>
            {
                ApiSecurity.Apply(configuration, api);
                api.CallObserver = new Api.Observation.CallObservers(
                    new Audit.AuditLog(configuration.Audit.File ?? Path.Combine(directories.StateHome, "audit", "api.jsonl"),
                        configuration.Audit, loggers.CreateLogger<Audit.AuditLog>()),
                    new Observability.RpcSpanSubjects());
            });
            await app.StartAsync(cancellationToken);
            return new CleanroomServer(control, app, enforcement);
        }
        catch
        {
            await control.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Egress enforcement needs root, nftables and network namespaces. Without them the server still starts, but
    /// backends keep their network-less capabilities: sandboxes run with no network at all, and any policy that
    /// allows egress is refused (fail closed), never run unenforced.
    /// </summary>
    private static async Task<EgressEnforcement?> StartEnforcementAsync(
        RuntimeConfiguration configuration, string mirrorRoot, EgressEventRecorder recorder, ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken)
    {
        var network = configuration.Network;
        var defaults = new NetworkOptions();
        var options = defaults with
        {
            Pool = network.Pool ?? defaults.Pool,
            DnsUpstream = network.DnsUpstream ?? defaults.DnsUpstream,
            DnsHosts = network.DnsHosts.ToImmutableDictionary(StringComparer.Ordinal),
            TableName = network.Table ?? defaults.TableName,
            NamePrefix = network.NamePrefix ?? defaults.NamePrefix,
            NflogGroup = network.NflogGroup ?? defaults.NflogGroup,
            GatewayPort = configuration.Gateway.ListenPort,
        };
        SandboxNetworks? networks = null;
        try
        {
            networks = new SandboxNetworks(options, recorder, loggers);
            await networks.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is Cleanroom.Errors.CleanroomException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning("egress enforcement is unavailable ({Reason}); sandboxes get no network and policies with allow rules are refused", e.Message);
            if (networks is not null)
            {
                await networks.DisposeAsync();
            }

            return null;
        }

        // The gateway comes with enforcement (its port is opened by the sandbox links' firewall rules). Unlike
        // enforcement it does not degrade: a gateway that cannot start (a bad upstream_ca_file, Kestrel failing)
        // stops the server with the reason, rather than sandboxes quietly running without the git access they expect.
        try
        {
            var gateway = await Gateway.HostGateway.StartAsync(configuration.Gateway, configuration.Secrets, options.Pool, mirrorRoot, recorder, loggers, cancellationToken,
                configuration.Registries, configuration.RegistryCache);
            logger.LogInformation("host gateway on port {Port} of each sandbox link; credentials for {Hosts}; secrets {Secrets}", gateway.Port,
                configuration.Gateway.CredentialHosts.Count == 0 ? "no host" : string.Join(", ", configuration.Gateway.CredentialHosts.Keys),
                configuration.Secrets.Count == 0 ? "none" : string.Join(", ", configuration.Secrets.Keys));
            return new EgressEnforcement(networks, recorder, gateway);
        }
        catch
        {
            await networks.DisposeAsync();
            throw;
        }
    }

    /// <summary>Completes when the host is asked to stop (SIGTERM, SIGINT, or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _control.DisposeAsync();
        if (_enforcement is not null)
        {
            // Leaves the table and live sandbox networks in place (see SandboxNetworks): the next server reconciles.
            if (_enforcement.Gateway is not null)
                await _enforcement.Gateway.DisposeAsync();
            await _enforcement.Networks.DisposeAsync();
            _enforcement.Recorder.Dispose();
        }
        // Last: flushes the spans of the shutdown too.
        _telemetry?.Dispose();
    }
}
