using System.Net;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Routes;

/// <summary>What a route asks for: its name (for people), the host patterns it answers and the guest port.</summary>
internal sealed record HttpsRouteRequest(string Name, IReadOnlyList<string> Hosts, ushort GuestPort);

/// <summary>
/// HTTPS routes of the server's sandboxes: the route table, the local CA, and the router, which starts with the first
/// route (on <c>routes.address</c>:<c>routes.port</c>; a taken port fails that request with <c>port_in_use</c>).
/// Routes go when their sandbox ends. Like TCP exposures they live in this process: a restarted server has none.
/// </summary>
internal sealed class HttpsRoutes : IAsyncDisposable
{
    private readonly SandboxControl _control;
    private readonly RouteSettings _settings;
    private readonly string _caCertificatePath;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HttpsRouteTable _table = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private LocalCertificateAuthority? _authority;
    private HttpsRouter? _router;

    public HttpsRoutes(SandboxControl control, ServerSettings settings, ILoggerFactory loggers)
    {
        _control = control;
        _settings = settings.Configuration.Routes;
        _caCertificatePath = settings.RoutesCaCertificate;
        _loggers = loggers;
        _logger = loggers.CreateLogger<HttpsRoutes>();
        control.SandboxEnded += OnSandboxEnded;
    }

    public async Task<IReadOnlyList<HttpsRouteEntry>> AddAsync(string sandboxId, IReadOnlyList<HttpsRouteRequest> requests, CancellationToken cancellationToken)
    {
        _control.Ports(sandboxId); // READY, and a backend that connects to ports
        await EnsureRouterAsync(cancellationToken);
        var entries = requests.Select(r => new HttpsRouteEntry(sandboxId, r.Name, r.GuestPort, r.Hosts)).ToList();
        _table.Add(entries);
        try
        {
            _control.Ports(sandboxId); // it may have ended while the router started
        }
        catch
        {
            _table.RemoveSandbox(sandboxId);
            throw;
        }
        foreach (var entry in entries)
            _logger.LogInformation("sandbox {SandboxId}: route {Hosts} -> port {GuestPort}", sandboxId, string.Join(", ", entry.Hosts), entry.GuestPort);
        return entries;
    }

    public IReadOnlyList<HttpsRouteEntry> Of(string sandboxId) => _table.Of(sandboxId);

    /// <summary>The URL a host is served at: https://HOST:PORT/ (a pattern's "*" left as it is).</summary>
    public string UrlFor(string host) => _router is { Port: var port } && port != 443 ? $"https://{host}:{port}/" : $"https://{host}/";

    public string? CertificateAuthorityPath => _authority?.CertificatePath;

    private async Task EnsureRouterAsync(CancellationToken cancellationToken)
    {
        if (_router is not null)
            return;
        await _starting.WaitAsync(cancellationToken);
        try
        {
            if (_router is not null)
                return;
            _authority ??= LocalCertificateAuthority.LoadOrCreate(_caCertificatePath);
            var endpoint = new IPEndPoint(IPAddress.Parse(_settings.Address), _settings.Port);
            try
            {
                _router = await HttpsRouter.StartAsync(endpoint, _table, _authority, _control, _loggers, cancellationToken);
            }
            catch (IOException e) // Kestrel: "Failed to bind to address", the port taken or the address not ours
            {
                throw new CleanroomException(ErrorCode.PortInUse,
                    $"the HTTPS router cannot listen on {endpoint}: {e.Message}; set routes.port in the server's runtime config");
            }
            _logger.LogInformation("HTTPS router listening on {Address}:{Port}, CA {CaPath}", _settings.Address, _router.Port, _authority.CertificatePath);
        }
        finally
        {
            _starting.Release();
        }
    }

    private void OnSandboxEnded(string sandboxId)
    {
        var removed = _table.RemoveSandbox(sandboxId);
        if (removed > 0)
            _logger.LogInformation("sandbox {SandboxId} ended: removed {Count} HTTPS route(s)", sandboxId, removed);
    }

    public async ValueTask DisposeAsync()
    {
        _control.SandboxEnded -= OnSandboxEnded;
        if (_router is not null)
            await _router.DisposeAsync();
    }
}
