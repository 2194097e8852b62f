using System.CommandLine;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Ports;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom expose</c> (the server listens, for the sandbox's life) and <c>cleanroom port-forward</c> (this process listens, while it runs).</summary>
internal static class PortCommands
{
    public static Command BuildExpose(CliConsole console)
    {
        var (host, sandbox, last, expose, exposeHttps) = (CommonOptions.Host(), InOption(), CommonOptions.Last(), CommonOptions.Expose(), CommonOptions.ExposeHttps());
        var chdir = CommonOptions.Chdir();
        var command = new Command("expose",
            "Make the server listen on host ports (--expose [HOST_IP:]HOST_PORT:GUEST_PORT) or serve HTTPS routes (--expose-https NAME:GUEST_PORT) for a running sandbox, until it ends.")
        {
            host, sandbox, last, expose, exposeHttps, chdir,
        };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var ports = CommonOptions.ExposeSpecs(parse.GetValue(expose));
            var https = CommonOptions.ExposeHttpsOf(parse, exposeHttps);
            if (ports.Count == 0 && !https.Any)
                throw new CleanroomException(ErrorCode.InvalidArgument, "name what to expose: --expose [HOST_IP:]HOST_PORT:GUEST_PORT or --expose-https NAME:GUEST_PORT");
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(sandbox), parse.GetValue(last), token);
            var routes = https.Routes(sandboxId, () => PolicySubmission.Prepare(console, parse.GetValue(chdir), null, false).ExposeHttps);
            await SandboxExposures.ExposeAsync(console, client, sandboxId, ports, routes, token);
            return ExitCode.Success;
        }));
        return command;
    }

    public static Command BuildPortForward(CliConsole console)
    {
        var (host, sandbox, last) = (CommonOptions.Host(), InOption(), CommonOptions.Last());
        var mapping = new Argument<string>("mapping") { Description = "[LOCAL_IP:]LOCAL_PORT:GUEST_PORT (LOCAL_PORT 0 picks one)" };
        var command = new Command("port-forward", "Listen on this host and forward each connection to a port in a sandbox, until interrupted.")
        {
            host, sandbox, last,
        };
        command.Arguments.Add(mapping);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var spec = PortSpec.Parse(parse.GetValue(mapping)!, "port-forward");
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(sandbox), parse.GetValue(last), token);
            // Fail now on a sandbox that does not exist, rather than at the first connection.
            await client.Sandboxes.GetSandboxAsync(new Api.V1.GetSandboxRequest { SandboxId = sandboxId }, cancellationToken: token);
            await new PortForwarder(console, client, sandboxId, spec).RunAsync(token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Option<string?> InOption() => new("--in", "--sandbox-id") { Description = "The sandbox" };
}
