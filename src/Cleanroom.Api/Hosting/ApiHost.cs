using Cleanroom.Api.Addressing;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Tls;
using Cleanroom.Api.Connect;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Observation;
using Cleanroom.Api.Transport;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cleanroom.Api.Hosting;

/// <summary>
/// Builds the API server: Kestrel on the given addresses, gRPC and Connect on the same services, one socket per
/// address for both HTTP/1.1 and HTTP/2. The caller registers the service implementations and runs the host;
/// the generic host stops it cleanly on SIGTERM/SIGINT.
/// </summary>
public static class ApiHost
{
    /// <param name="listen">Where to listen; usually <see cref="DefaultApiAddress.Socket"/> and any <c>--listen</c>.</param>
    /// <param name="registerServices">
    /// Must register <see cref="SandboxService.SandboxServiceBase"/> and <see cref="ExecutionService.ExecutionServiceBase"/>
    /// (e.g. <c>services.AddSingleton&lt;SandboxService.SandboxServiceBase, MySandboxService&gt;()</c>), plus logging
    /// providers and whatever the implementations need.
    /// </param>
    /// <param name="configure">Optional tunables.</param>
    /// <exception cref="CleanroomException">
    /// invalid_argument for a non-loopback http address, a non-loopback https address without required
    /// authentication, an https address without TLS files, or no address at all; config_invalid for unreadable TLS or
    /// token files. All of it before anything binds.
    /// </exception>
    public static WebApplication Build(IEnumerable<ApiAddress> listen, Action<IServiceCollection> registerServices,
        Action<ApiHostOptions>? configure = null)
    {
        var addresses = listen.Distinct().ToList();
        if (addresses.Count == 0) throw new CleanroomException(ErrorCode.InvalidArgument, "the server needs at least one address to listen on");
        var options = new ApiHostOptions();
        configure?.Invoke(options);
        ListenerPolicy.Check(addresses, options);
        var tls = addresses.OfType<HttpsApiAddress>().Any() ? ListenerTls.Load(options.Tls!) : null;
        var staticTokens = new StaticTokens(options.Authentication.Tokens);

        // The empty builder reads no appsettings.json from the working directory (the user's repository) and
        // configures no HTTPS; logging providers are the caller's choice.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var address in addresses)
            {
                // Cleartext Http1AndHttp2 would only ever answer HTTP/1.1, so each address is two endpoints, one
                // per protocol, fed from one socket by SniffingTransportFactory (see README.md).
                if (address is HttpsApiAddress)
                {
                    // TLS's ALPN picks HTTP/1.1 or HTTP/2 per connection: one endpoint serves both.
                    kestrel.Listen(new LaneEndPoint(address, ConnectionLane.Tls), l =>
                    {
                        l.Protocols = HttpProtocols.Http1AndHttp2;
                        l.UseHttps(tls!);
                    });
                    continue;
                }
                kestrel.Listen(new LaneEndPoint(address, ConnectionLane.Http1), l => l.Protocols = HttpProtocols.Http1);
                kestrel.Listen(new LaneEndPoint(address, ConnectionLane.Http2), l => l.Protocols = HttpProtocols.Http2);
            }
        });

        var services = builder.Services;
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        services.AddSingleton(options);
        services.AddSingleton<ApiServerAddresses>();
        services.AddSingleton<IConnectionListenerFactory, SniffingTransportFactory>();
        services.AddRouting();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<GrpcErrorInterceptor>();
            // Inside the error interceptor: it sees the handler's own exception, stable code and all.
            if (options.CallObserver is not null) grpc.Interceptors.Add<ObservingInterceptor>();
            grpc.EnableDetailedErrors = false;
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = null;
        });
        services.AddSingleton(options.Authentication);
        if (options.CallObserver is not null) services.AddSingleton(options.CallObserver);
        services.AddSingleton(staticTokens);
        services.AddSingleton<CallerResolver>();
        if (options.Authentication.OidcIssuers.Count > 0) OidcSchemes.Add(services, options.Authentication.OidcIssuers);
        services.AddSingleton<IdentityService.IdentityServiceBase, IdentityApi>();
        services.AddSingleton<ConnectMethodRegistry>();
        services.AddSingleton<ConnectUnaryHandler>();
        services.AddSingleton<ConnectStreamingHandler>();

        registerServices(services);
        RequireImplementation<SandboxService.SandboxServiceBase>(services);
        RequireImplementation<ExecutionService.ExecutionServiceBase>(services);
        var hasWorkspaceService = services.Any(d => d.ServiceType == typeof(WorkspaceService.WorkspaceServiceBase));
        var hasPortService = services.Any(d => d.ServiceType == typeof(PortService.PortServiceBase));
        var hasSystemService = services.Any(d => d.ServiceType == typeof(SystemService.SystemServiceBase));

        var app = builder.Build();
        // Before the gate, so refused calls have their span too; it reads nothing of the request but its headers.
        app.UseMiddleware<RpcTracing>();
        // Then: nothing of an unauthenticated request is read or dispatched.
        app.UseMiddleware<AuthenticationGate>();
        app.UseMiddleware<ConnectMiddleware>();
        app.UseMiddleware<GrpcMessageCheck>();
        app.UseRouting();
        // Mapping the generated base classes makes Grpc.AspNetCore resolve them from DI: the same registrations
        // the Connect adapter resolves, so both protocols reach one implementation.
        app.MapGrpcService<SandboxService.SandboxServiceBase>();
        app.MapGrpcService<ExecutionService.ExecutionServiceBase>();
        app.MapGrpcService<IdentityService.IdentityServiceBase>();
        // Optional: a host without tree transfers or ports (test hosts) answers "unimplemented" for it.
        if (hasWorkspaceService)
            app.MapGrpcService<WorkspaceService.WorkspaceServiceBase>();
        if (hasPortService)
            app.MapGrpcService<PortService.PortServiceBase>();
        if (hasSystemService)
            app.MapGrpcService<SystemService.SystemServiceBase>();
        return app;
    }

    /// <summary>
    /// The checks <see cref="Build"/> makes before anything binds (addresses, TLS and token files), for a caller that
    /// has slower work to do first (<c>cleanroom serve</c> probes backends) and should fail at once.
    /// </summary>
    /// <exception cref="CleanroomException">As <see cref="Build"/>.</exception>
    public static void Validate(IEnumerable<ApiAddress> listen, Action<ApiHostOptions>? configure = null)
    {
        var addresses = listen.Distinct().ToList();
        var options = new ApiHostOptions();
        configure?.Invoke(options);
        ListenerPolicy.Check(addresses, options);
        if (addresses.OfType<HttpsApiAddress>().Any()) ListenerTls.Load(options.Tls!).ServerCertificate?.Dispose();
        _ = new StaticTokens(options.Authentication.Tokens);
    }

    private static void RequireImplementation<TService>(IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TService)))
            throw new InvalidOperationException(
                $"Register an implementation of {typeof(TService).FullName} in registerServices, e.g. " +
                $"services.AddSingleton<{typeof(TService).DeclaringType?.Name}.{typeof(TService).Name}, YourImplementation>().");
    }
}
