using System.CommandLine;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom serve</c>: run the server that owns every sandbox.</summary>
internal static class ServeCommand
{
    public static Command Build(CliConsole console)
    {
        var listen = new Option<string[]>("--listen")
        {
            Description = "Address to serve: unix:///path/to.sock or http://127.0.0.1:PORT (repeatable; default: the user's socket)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("serve", "Run the Cleanroom server (gRPC and Connect on a unix socket) until SIGTERM.") { listen };
        command.SetAction((parse, token) => ServeAsync(console, parse.GetValue(listen) ?? [], token));
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, string[] listen, CancellationToken cancellationToken)
    {
        var directories = console.Directories;
        var config = RuntimeConfigReader.ReadFile(directories.ConfigFile);
        if (!config.Valid)
        {
            console.Error.WriteLine($"cleanroom: {directories.ConfigFile} is invalid [{ErrorCode.ConfigInvalid}]:");
            foreach (var problem in config.Problems)
            {
                console.Error.WriteLine($"  {problem}");
            }

            return ExitCode.Failure;
        }

        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        try
        {
            var addresses = listen.Length == 0
                ? [DefaultApiAddress.Socket(console.GetEnvironment)]
                : listen.Select(ApiAddress.Parse).ToList<ApiAddress>();
            var backends = BackendCatalog.ForHost(config.Configuration!, directories, loggers);
            await using var server = await CleanroomServer.StartAsync(addresses, directories, config.Configuration!, backends, loggers, cancellationToken);
            console.Error.WriteLine($"cleanroom: serving on {string.Join(", ", addresses)}");
            await server.WaitForShutdownAsync(cancellationToken);
            return ExitCode.Success;
        }
        catch (ServerAlreadyRunningException e)
        {
            console.Error.WriteLine($"cleanroom: already running: {e.Message}");
            return ExitCode.Failure;
        }
        catch (StateDirectoryInUseException e)
        {
            console.Error.WriteLine($"cleanroom: already running: {e.Message}");
            return ExitCode.Failure;
        }
        catch (CleanroomException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
            return e.Code == ErrorCode.InvalidArgument ? ExitCode.Usage : ExitCode.Failure;
        }
    }
}
