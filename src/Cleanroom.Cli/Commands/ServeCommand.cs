using System.CommandLine;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Cli.Service;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom serve</c>: run the server that owns every sandbox (in the foreground, or detached).</summary>
internal static class ServeCommand
{
    /// <summary>Internal flag of a detached server: write "ready" on this inherited stdout, then log to a file.</summary>
    private const string ReadyOnStdoutFlag = "--ready-on-stdout";

    public static Command Build(CliConsole console)
    {
        var listen = new Option<string[]>("--listen")
        {
            Description = "Address to serve: unix:///path/to.sock, http://127.0.0.1:PORT or https://ADDR:PORT (repeatable; adds to the runtime config's listen:, default: the user's socket)",
        };
        var detach = new Option<bool>("--detach", "-d")
        {
            Description = "Start the server in the background, wait until it answers, then return (succeeds if one already answers)",
        };
        var readyOnStdout = new Option<string?>(ReadyOnStdoutFlag) { Hidden = true };
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Least severe log entries written: trace, debug, info, warning or error",
            DefaultValueFactory = _ => "info",
        };
        logLevel.AcceptOnlyFromAmong("trace", "debug", "info", "warning", "error");
        var logFormat = new Option<string>("--log-format")
        {
            Description = "text (one line per entry) or json (one JSON object per line: timestamp, level, category, message, state)",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run the Cleanroom server (gRPC and Connect on a unix socket, and on https with --tls-cert/--tls-key) until SIGTERM.")
        {
            listen, detach, readyOnStdout, logLevel, logFormat,
        };
        command.Subcommands.Add(ServeInstallCommand.Build(console));
        command.SetAction((parse, token) =>
        {
            var addresses = parse.GetValue(listen) ?? [];
            var logging = new ServerLogging(parse.GetValue(logLevel)!, parse.GetValue(logFormat)!);
            return parse.GetValue(detach)
                ? DetachedServer.StartAsync(console, addresses, ReadyOnStdoutFlag, logging, token)
                : ServeAsync(console, addresses, parse.GetValue(readyOnStdout), logging, token);
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, string[] listen, string? logFile, ServerLogging logging, CancellationToken cancellationToken)
    {
        // A detached server reports readiness on the stdout its starter reads, and logs to a file from the start.
        Stream? readyChannel = null;
        StreamWriter? log = null;
        if (logFile is not null)
        {
            readyChannel = Console.OpenStandardOutput();
            log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            Console.SetOut(log);
            Console.SetError(log);
            console = console with { Out = log, Error = log };
        }

        try
        {
            return await RunAsync(console, listen, readyChannel, logging, cancellationToken);
        }
        finally
        {
            log?.Dispose();
        }
    }

    /// <summary>serve's --tls-cert/--tls-key (its certificate) and --tls-ca (the client CA) take the place of the config's.</summary>
    private static RuntimeConfiguration WithTlsFlags(RuntimeConfiguration configuration, Client.ConnectionFlags flags)
    {
        if (flags.TokenFile is not null)
            throw new CleanroomException(ErrorCode.InvalidArgument, "--token-file is for clients; the server's tokens are auth.tokens in the runtime config");
        if ((flags.TlsCert is null) != (flags.TlsKey is null))
            throw new CleanroomException(ErrorCode.InvalidArgument, "--tls-cert and --tls-key go together");
        var tls = configuration.Tls;
        if (flags.TlsCert is not null) tls = tls with { CertFile = flags.TlsCert, KeyFile = flags.TlsKey };
        if (flags.TlsCa is not null) tls = tls with { ClientCaFile = flags.TlsCa };
        if (tls.ClientCaFile is not null && tls.CertFile is null)
            throw new CleanroomException(ErrorCode.InvalidArgument, "--tls-ca (client certificates) needs the server's own --tls-cert and --tls-key");
        return configuration with { Tls = tls };
    }

    private static async Task<int> RunAsync(CliConsole console, string[] listen, Stream? readyChannel, ServerLogging logging, CancellationToken cancellationToken)
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

        using var loggers = logging.CreateFactory();
        try
        {
            var configuration = WithTlsFlags(config.Configuration!, console.Connection);
            string[] requested = [.. configuration.Listen, .. listen];
            var addresses = requested.Length == 0
                ? [DefaultApiAddress.Socket(console.GetEnvironment)]
                : requested.Select(ApiAddress.Parse).Distinct().ToList<ApiAddress>();
            // Taken before anything starts a child process, so no sandbox inherits the service manager's socket.
            var serviceManager = ServiceNotification.FromEnvironment();
            await using var server = await CleanroomServer.StartAsync(addresses, directories, configuration, loggers, cancellationToken);
            console.Error.WriteLine($"cleanroom: serving on {string.Join(", ", server.BoundAddresses)}");
            serviceManager.Ready($"serving on {string.Join(", ", server.BoundAddresses)}");
            if (readyChannel is not null)
            {
                // "ready" and where it really serves (the runtime config's listen: included), for serve --detach to say.
                await readyChannel.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"ready {string.Join(' ', server.BoundAddresses)}\n"), cancellationToken);
                await readyChannel.DisposeAsync();
            }

            await server.WaitForShutdownAsync(cancellationToken);
            serviceManager.Stopping();
            return ExitCode.Success;
        }
        catch (Exception e) when (e is ServerAlreadyRunningException or StateDirectoryInUseException)
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
