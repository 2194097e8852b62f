using System.CommandLine;
using Cleanroom.Api.Tls;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom tls</c>: <c>init</c> makes a CA, a server certificate and client certificates for the API's https
/// listeners; <c>ca</c> prints where the HTTPS routes' own local CA is.
/// </summary>
internal static class TlsCommand
{
    public static Command Build(CliConsole console)
    {
        var tls = new Command("tls", "Certificates: the API's https listeners (init) and the local CA of HTTPS routes (ca).");
        tls.Subcommands.Add(BuildInit(console));
        tls.Subcommands.Add(BuildCa(console));
        return tls;
    }

    private static Command BuildInit(CliConsole console)
    {
        var directory = new Argument<string>("directory") { Description = "Where to write ca.crt/.key, server.crt/.key and client-NAME.crt/.key" };
        var serverNames = new Option<string[]>("--server-name")
        {
            Description = "A DNS name or IP address the server is reached at, besides localhost, 127.0.0.1 and ::1 (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var clients = new Option<string[]>("--client")
        {
            Description = "Make a client certificate with this name as its subject CN (repeatable; default: one named 'client')",
            AllowMultipleArgumentsPerToken = false,
        };
        var force = CommonOptions.Force();
        var command = new Command("init", "Make a private CA, a server certificate and client certificates for 'serve --listen https://...' (an existing CA is reused).")
        {
            serverNames, clients, force,
        };
        command.Arguments.Add(directory);
        command.SetAction(parse =>
        {
            var target = console.ResolvePath(parse.GetValue(directory));
            var names = parse.GetValue(clients) is { Length: > 0 } given ? given : ["client"];
            try
            {
                var written = TlsSetup.Run(target, parse.GetValue(serverNames) ?? [], names, parse.GetValue(force));
                foreach (var path in written) console.Out.WriteLine(path);
                if (written.Count == 0) console.Error.WriteLine($"cleanroom: nothing new in {target} (--force remakes the server and client certificates)");
                console.Error.WriteLine($"cleanroom: serve with --listen https://ADDR:PORT --tls-cert {Path.Combine(target, "server.crt")} --tls-key {Path.Combine(target, "server.key")} [--tls-ca {Path.Combine(target, "ca.crt")}]");
                return ExitCode.Success;
            }
            catch (CleanroomException e)
            {
                console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
                return ExitCode.Usage;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                console.Error.WriteLine($"cleanroom: cannot write the certificates in {target}: {e.Message}");
                return ExitCode.Failure;
            }
        });
        return command;
    }

    private static Command BuildCa(CliConsole console)
    {
        var ca = new Command("ca", "Print the path of the local CA certificate that signs HTTPS routes (e.g. curl --cacert PATH), once the server made it.");
        ca.SetAction(_ =>
        {
            var path = console.Directories.RoutesCaCertificate;
            if (!File.Exists(path))
            {
                console.Error.WriteLine($"cleanroom: no CA at {path} yet: the server makes it with the first --expose-https route");
                return (int)ExitCode.Failure;
            }
            console.Out.WriteLine(path);
            return (int)ExitCode.Success;
        });
        return ca;
    }
}
