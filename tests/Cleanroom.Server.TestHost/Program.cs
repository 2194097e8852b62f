using Cleanroom.Api.Addressing;
using Cleanroom.Backends;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;
using Cleanroom.TestDoubles;
using Microsoft.Extensions.Logging.Abstractions;

// usage: Cleanroom.Server.TestHost STATE_DIR SOCKET_PATH
// Serves until SIGTERM (or until killed); prints "ready" on stdout once the socket accepts connections.
var directories = new HostDirectories(args[0], args[0], args[0], args[0], Path.GetDirectoryName(args[1])!);
var backends = new BackendRegistry().Register(new HostProcessBackend());
await using var server = await CleanroomServer.StartAsync(
    [new UnixApiAddress(args[1])], directories, RuntimeConfiguration.Empty, backends, NullLoggerFactory.Instance, CancellationToken.None);
Console.WriteLine("ready");
await server.WaitForShutdownAsync(CancellationToken.None);
