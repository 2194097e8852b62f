using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Cleanroom.Errors;
using Cleanroom.Network;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Egress;
using Cleanroom.Server.Gateway.Registries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The host gateway (one per server): a Kestrel pipeline fed by one listening socket per sandbox link
/// (<see cref="LinkListeners"/>), serving <c>/meta/</c>, git smart-HTTP and <c>/secrets/</c> for the hosts each sandbox's
/// policy allows, with the host's credentials or the sandbox's bound secrets added on the upstream leg.
/// <see cref="AttachAsync"/> makes a sandbox a caller (its listener, its identity, its own upstream client, its secret
/// placeholders); disposing what it returns undoes all of it.
/// </summary>
public sealed class HostGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LinkListeners _listeners;
    private readonly GatewayCallers _callers;
    private readonly ConcurrentDictionary<string, UpstreamClient> _clients;
    private readonly UpstreamAddressPolicy _addresses;
    private readonly X509Certificate2Collection _extraRoots;
    private readonly RegistryEndpoints _registries;

    private HostGateway(int port, WebApplication app, LinkListeners listeners, GatewayCallers callers,
        ConcurrentDictionary<string, UpstreamClient> clients, UpstreamAddressPolicy addresses, X509Certificate2Collection extraRoots, GatewayCredentials credentials,
        HostSecrets secrets, RepositoryMirrors mirrors, RegistryEndpoints registries, RegistryCache registryCache)
    {
        _registries = registries;
        RegistryCache = registryCache;
        Mirrors = mirrors;
        Port = port;
        _app = app;
        _listeners = listeners;
        _callers = callers;
        _clients = clients;
        _addresses = addresses;
        _extraRoots = extraRoots;
        Credentials = credentials;
        Secrets = secrets;
    }

    /// <summary>The port the gateway listens on at each sandbox link's host address (<c>gateway.listen_port</c>).</summary>
    public int Port { get; }

    internal GatewayCredentials Credentials { get; }

    /// <summary>The host-side repository mirrors; server-side checkouts fetch through them too.</summary>
    internal RepositoryMirrors Mirrors { get; }

    /// <summary>The verified package cache behind the registry routes (<c>system df</c>/<c>prune</c> report and remove through it).</summary>
    internal RegistryCache RegistryCache { get; }

    /// <summary>The addresses never dialled from the host, whatever a name resolves to.</summary>
    internal UpstreamAddressPolicy Addresses => _addresses;

    /// <summary>The runtime config's <c>secrets:</c>, whose values the gateway puts into <c>/secrets/</c> requests.</summary>
    public HostSecrets Secrets { get; }

    /// <summary>
    /// Starts the gateway's pipeline (no socket yet: each sandbox link gets its own). Fails with <c>config_invalid</c>
    /// when <c>gateway.upstream_ca_file</c> cannot be read as PEM certificates.
    /// </summary>
    public static async Task<HostGateway> StartAsync(
        GatewaySettings settings, IReadOnlyDictionary<string, SecretSource> secretSources, string sandboxPool, string mirrorRoot, EgressEventRecorder recorder,
        ILoggerFactory loggers, CancellationToken cancellationToken, RegistrySettings? registrySettings = null, RegistryCacheSettings? registryCacheSettings = null)
    {
        var extraRoots = LoadExtraRoots(settings.UpstreamCaFile);
        Directory.CreateDirectory(mirrorRoot);
        var caBundle = settings.UpstreamCaFile is null ? null : WriteCaBundle(mirrorRoot, settings.UpstreamCaFile);
        var logger = loggers.CreateLogger<HostGateway>();
        var credentials = new GatewayCredentials(settings.CredentialHosts, Environment.GetEnvironmentVariable,
            settings.GitHubApp is { } gitHubApp ? StartGitHubApp(gitHubApp) : null, new GitCredentialHelper(logger));
        var secrets = new HostSecrets(secretSources);
        var callers = new GatewayCallers();
        var clients = new ConcurrentDictionary<string, UpstreamClient>(StringComparer.Ordinal);
        var listeners = new LinkListeners(loggers);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<IConnectionListenerFactory>(listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A push's pack is as large as the repository; the body is streamed upstream, never held.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(SandboxLinksEndPoint.Instance, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var addresses = new UpstreamAddressPolicy(sandboxPool);
        var housekeeping = new MirrorHousekeeping(mirrorRoot, settings.Mirrors, TimeProvider.System, logger);
        // Mirrors left by an earlier run may be past their bounds (or the bounds smaller now).
        _ = housekeeping.SweepAsync();
        var mirrors = new RepositoryMirrors(mirrorRoot, caBundle, housekeeping, logger);
        var audit = new GatewayAudit(recorder, TimeProvider.System);
        var registries = new RegistryEndpoints(registrySettings ?? RegistrySettings.Defaults);
        var registryCache = OpenRegistryCache(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(mirrorRoot))!, "registry"),
            registryCacheSettings ?? RegistryCacheSettings.Defaults, logger);
        var registryHandler = new RegistryRequestHandler(registries, registryCache,
            TimeSpan.FromSeconds((registryCacheSettings ?? RegistryCacheSettings.Defaults).MetadataTtlSeconds), audit, TimeProvider.System, logger);
        var handler = new GatewayRequestHandler(callers, id => clients.GetValueOrDefault(id), credentials, secrets,
            app.Services.GetRequiredService<IHttpForwarder>(), audit, mirrors, addresses, logger, registryHandler);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await app.DisposeAsync();
            throw new CleanroomException(ErrorCode.GatewayUnavailable, $"the host gateway did not start: {e.Message}", e);
        }

        return new HostGateway(settings.ListenPort, app, listeners, callers, clients, addresses, extraRoots, credentials, secrets, mirrors, registries, registryCache);
    }

    /// <summary>
    /// The package cache, bounded by <c>registry_cache.max_bytes</c> or, when unset, a tenth of its file system's free
    /// space now (at least 64 MiB): a default that never fills a small disk and needs no tuning on a large one.
    /// </summary>
    private static RegistryCache OpenRegistryCache(string root, RegistryCacheSettings settings, ILogger logger)
    {
        Directory.CreateDirectory(root);
        var bound = settings.MaxBytes ?? Math.Max(64L << 20, new DriveInfo(root).AvailableFreeSpace / 10);
        return new RegistryCache(root, bound, TimeProvider.System, logger);
    }

    /// <summary>
    /// Serves the sandbox from now on: a listener on its link's host address, its identity (its link addresses), its
    /// own upstream client, a fresh placeholder for each of its secret bindings. Fails with <c>gateway_unavailable</c>
    /// when the port cannot be bound there: the caller then does not hand the sandbox out (fail closed: a sandbox is
    /// never told of a gateway that is not there). The attachment says what the guest's environment gets.
    /// </summary>
    public Task<GatewayAttachment> AttachAsync(string sandboxId, string policyHash, SandboxNetwork network, ImmutableArray<SecretBinding> secrets,
        StageRules? stages = null, NpmLockfilePolicy? npmLockfile = null)
    {
        var sandboxSecrets = SandboxSecret.For(secrets);
        var caller = new GatewayCaller(sandboxId, policyHash, network.SandboxAddress, network.HostAddress, Port, new SandboxNetworkCaller(network), sandboxSecrets,
            npmLockfile);
        IAsyncDisposable socket;
        try
        {
            socket = _listeners.Bind(new IPEndPoint(network.HostAddress, Port));
        }
        catch (SocketException e)
        {
            throw new CleanroomException(ErrorCode.GatewayUnavailable,
                $"the host gateway cannot listen on {network.HostAddress}:{Port} for sandbox {sandboxId} ({e.SocketErrorCode}); " +
                "another program may hold the port on every address: choose another gateway.listen_port", e);
        }

        var client = new UpstreamClient(caller, _addresses, _extraRoots);
        _clients[sandboxId] = client;
        _callers.Add(caller);
        List<KeyValuePair<string, string>> environment = [new(EnvironmentVariable, AuthorityFor(network))];
        environment.AddRange(sandboxSecrets.Select(s => new KeyValuePair<string, string>(s.Binding.EnvironmentVariable, s.Placeholder)));
        environment.AddRange(_registries.GuestEnvironment(stages, AuthorityFor(network), network.HostAddress.ToString()));
        return Task.FromResult(new GatewayAttachment(environment, () => DetachAsync(caller, socket, client)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var client in _clients.Values)
            client.Dispose();
    }

    /// <summary>The guest environment variable naming the gateway (host:port on the sandbox's link).</summary>
    public const string EnvironmentVariable = "CLEANROOM_GATEWAY";

    public string AuthorityFor(SandboxNetwork network) => $"{network.HostAddress}:{Port}";

    /// <summary>
    /// The App's token source. A key that cannot be used stops the server at start (<c>config_invalid</c> with the
    /// setting's path) rather than failing every clone later. The API is reached from the host (system trust, no
    /// proxy, no redirects); it is the operator's endpoint, not a sandbox's destination.
    /// </summary>
    private static GitHubAppTokens StartGitHubApp(GitHubAppSettings app)
    {
        var key = GitHubAppKey.TryLoad(app.PrivateKeyFile, out var problem)
            ?? throw new CleanroomException(ErrorCode.ConfigInvalid, $"gateway.credentials.github_app.private_key_file: {problem}");
        var http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        return new GitHubAppTokens(app, key, http, TimeProvider.System);
    }

    /// <summary>git's own TLS (filling mirrors) trusts one bundle file: the system's roots plus the configured extra CA.</summary>
    private static string WriteCaBundle(string mirrorRoot, string extraCaFile)
    {
        const string system = "/etc/ssl/certs/ca-certificates.crt";
        var bundle = Path.Combine(mirrorRoot, "upstream-ca-bundle.pem");
        File.WriteAllText(bundle, (File.Exists(system) ? File.ReadAllText(system) + "\n" : "") + File.ReadAllText(extraCaFile));
        return bundle;
    }

    private static X509Certificate2Collection LoadExtraRoots(string? path)
    {
        var roots = new X509Certificate2Collection();
        if (path is null)
            return roots;
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CleanroomException(ErrorCode.ConfigInvalid, $"gateway.upstream_ca_file: cannot read {path} as PEM certificates: {e.Message}", e);
        }

        if (roots.Count == 0)
            throw new CleanroomException(ErrorCode.ConfigInvalid, $"gateway.upstream_ca_file: {path} holds no PEM certificate");
        return roots;
    }

    private async ValueTask DetachAsync(GatewayCaller caller, IAsyncDisposable socket, UpstreamClient client)
    {
        _callers.Remove(caller);
        await socket.DisposeAsync();
        _clients.TryRemove(new KeyValuePair<string, UpstreamClient>(caller.SandboxId, client));
        client.Dispose();
    }
}
