using Cleanroom.Api.Addressing;
using Cleanroom.Api.Hosting;
using Cleanroom.Api.Tests.TestDoubles;
using Cleanroom.Api.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cleanroom.Api.Tests.Support;

/// <summary>A real API server on a unix socket in a fresh temporary directory, with the test-double services.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private TestServer(TempDirectory directory, WebApplication app, UnixApiAddress socket)
    {
        _directory = directory;
        App = app;
        Socket = socket;
    }

    public WebApplication App { get; }

    public UnixApiAddress Socket { get; }

    public string Directory => _directory.Path;

    /// <summary>Starts a server on DIR/run/api.sock (plus <paramref name="extra"/> addresses).</summary>
    public static async Task<TestServer> StartAsync(Action<ApiHostOptions>? configure = null, params ApiAddress[] extra)
    {
        var directory = new TempDirectory();
        var socket = new UnixApiAddress(directory.Combine("run", "api.sock"));
        try
        {
            var app = Build([socket, .. extra], configure);
            await app.StartAsync();
            return new TestServer(directory, app, socket);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public static WebApplication Build(IEnumerable<ApiAddress> listen, Action<ApiHostOptions>? configure = null) =>
        ApiHost.Build(listen, services =>
        {
            services.AddSingleton<SandboxService.SandboxServiceBase, FakeSandboxService>();
            services.AddSingleton<ExecutionService.ExecutionServiceBase, FakeExecutionService>();
        }, configure);

    public ApiAddress BoundAddress(ApiAddress requested) =>
        App.Services.GetRequiredService<ApiServerAddresses>().BoundFor(requested)
        ?? throw new InvalidOperationException($"{requested} is not bound");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        finally
        {
            _directory.Dispose();
        }
    }
}
