using Cleanroom.Api.Addressing;
using Microsoft.Extensions.Hosting;
using Cleanroom.Api.Hosting;
using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server;

/// <summary>
/// The composition root of <c>cleanroom serve</c>: opens the durable control plane (which reconciles what a
/// previous server left), registers the backends, and serves the API until stopped (SIGTERM/SIGINT).
/// </summary>
public sealed class CleanroomServer : IAsyncDisposable
{
    private readonly SandboxControl _control;
    private readonly WebApplication _app;

    private CleanroomServer(SandboxControl control, WebApplication app)
    {
        _control = control;
        _app = app;
    }

    public SandboxControl Control => _control;

    /// <summary>Opens the state and binds every address; throws before serving anything if either fails.</summary>
    public static async Task<CleanroomServer> StartAsync(
        IReadOnlyList<ApiAddress> listen,
        HostDirectories directories,
        RuntimeConfiguration configuration,
        BackendRegistry backends,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var control = await SandboxControl.OpenAsync(
            new ControlPlaneOptions { StateDirectory = directories.StateHome }, backends, TimeProvider.System, loggers, cancellationToken);
        try
        {
            var settings = new ServerSettings(configuration);
            var app = ApiHost.Build(listen, services =>
            {
                services.AddSingleton(loggers);
                services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
                services.AddSingleton(control);
                services.AddSingleton(settings);
                services.AddSingleton<V1.SandboxService.SandboxServiceBase, SandboxApi>();
                services.AddSingleton<V1.ExecutionService.ExecutionServiceBase, ExecutionApi>();
            });
            await app.StartAsync(cancellationToken);
            return new CleanroomServer(control, app);
        }
        catch
        {
            await control.DisposeAsync();
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
    }
}
