using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;
using Cleanroom.Cli.Ports;
using Cleanroom.Cli.Workspace;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom sandbox create|ls|inspect|rm|events|suspend|resume</c>, and the top-level <c>cleanroom create</c>.</summary>
internal static class SandboxCommand
{
    public static Command Build(CliConsole console)
    {
        var sandbox = new Command("sandbox", "Create, list, inspect, suspend, resume and remove sandboxes.");
        sandbox.Subcommands.Add(BuildCreate(console, "create"));
        sandbox.Subcommands.Add(SandboxList.Build(console));
        sandbox.Subcommands.Add(BuildInspect(console));
        sandbox.Subcommands.Add(BuildRemove(console));
        sandbox.Subcommands.Add(BuildEvents(console));
        sandbox.Subcommands.Add(SandboxSuspension.BuildSuspend(console));
        sandbox.Subcommands.Add(SandboxSuspension.BuildResume(console));
        return sandbox;
    }

    /// <summary>Creates a sandbox from the repository's policy and prints its id (for <c>exec --in</c>).</summary>
    public static Command BuildCreate(CliConsole console, string name, bool repositoryAware = false)
    {
        var copyIn = new Option<bool>("--copy-in") { Description = "Also copy the checkout's uncommitted changes into the workspace" };
        var host = CommonOptions.Host();
        var chdir = CommonOptions.Chdir();
        var backend = CommonOptions.Backend();
        var allowAll = CommonOptions.DangerouslyAllowAll();
        var image = new Option<string?>("--image") { Description = "Use this image instead of the policy's" };
        var json = CommonOptions.Json();
        var expose = CommonOptions.Expose();
        var exposeHttps = CommonOptions.ExposeHttps();
        var noCache = CommonOptions.NoCache();
        var from = CommonOptions.FromSnapshot();
        var command = new Command(name, repositoryAware
            ? "Create a sandbox from cleanroom.yaml with the checkout's HEAD in its workspace, and print its id; it stays READY until removed."
            : "Create a sandbox from cleanroom.yaml and print its id (no repository copied in); it stays READY until removed.")
        {
            host, chdir, backend, allowAll, image, json, expose, exposeHttps, noCache, from,
        };
        var repository = new RepositoryCheckoutOptions();
        if (repositoryAware)
        {
            command.Options.Add(copyIn);
            repository.AddTo(command);
        }
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var ports = CommonOptions.ExposeSpecs(parse.GetValue(expose));
            var https = CommonOptions.ExposeHttpsOf(parse, exposeHttps);
            Sandbox sandbox;
            SubmittedPolicy? submitted = null;
            if (repositoryAware && repository.Read(parse) is { } checkout)
            {
                if (parse.GetValue(copyIn) || parse.GetValue(chdir) is not null)
                    throw new CleanroomException(ErrorCode.InvalidArgument, "--repo-url uses the server's own checkout: it does not go with --chdir or --copy-in");
                sandbox = await SandboxStartup.StartFromRepositoryAsync(console, client, checkout, parse.GetValue(backend), parse.GetValue(allowAll), parse.GetValue(image), parse.GetValue(noCache), token);
            }
            else
            {
                submitted = PolicySubmission.Prepare(console, parse.GetValue(chdir), parse.GetValue(backend), parse.GetValue(allowAll));
                var request = submitted.Request;
                request.ImageRef = parse.GetValue(image) ?? "";
                request.NoCache = parse.GetValue(noCache);
                request.FromSnapshot = parse.GetValue(from) ?? "";
                if (request.FromSnapshot.Length > 0 && parse.GetValue(copyIn))
                    throw new CleanroomException(ErrorCode.InvalidArgument, "--from starts from a snapshot, which already holds its workspace: it does not go with --copy-in");
                var (started, follows) = await SandboxStartup.StartAsync(console, client, submitted, parse.GetValue(chdir), repositoryAware, token);
                sandbox = await SandboxStartup.FinishAsync(console, client, started, follows, submitted, parse.GetValue(chdir), repositoryAware,
                    repositoryAware && parse.GetValue(copyIn), token);
            }
            if (ports.Count > 0 || https.Any)
            {
                await SandboxExposures.ExposeAsync(console, client, sandbox.SandboxId, ports, https.Routes(sandbox.SandboxId, () => submitted?.ExposeHttps), token);
                sandbox = (await client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = sandbox.SandboxId }, cancellationToken: token)).Sandbox;
            }
            console.Out.WriteLine(parse.GetValue(json) ? ProtoJson.Format(sandbox) : sandbox.SandboxId);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildInspect(CliConsole console)
    {
        var (host, id, last, json) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last(), CommonOptions.Json());
        var command = new Command("inspect", "Show one sandbox.") { host, last, json };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            var sandbox = (await client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = sandboxId }, cancellationToken: token)).Sandbox;
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(ProtoJson.Format(sandbox));
            }
            else
            {
                HumanFormat.Sandbox(console.Out, sandbox);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildRemove(CliConsole console)
    {
        var host = CommonOptions.Host();
        var last = CommonOptions.Last();
        var ids = new Argument<string[]>("sandbox-id") { Arity = ArgumentArity.ZeroOrMore, Description = "Sandboxes to terminate" };
        var command = new Command("rm", "Terminate sandboxes: stop their executions and remove everything they made on the host.") { host, last };
        command.Aliases.Add("terminate");
        command.Arguments.Add(ids);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var targets = (parse.GetValue(ids) ?? []).ToList();
            if (targets.Count == 0)
            {
                targets.Add(await LastRecords.SandboxIdAsync(client, null, parse.GetValue(last), token));
            }

            foreach (var target in targets)
            {
                var response = await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = target }, cancellationToken: token);
                console.Out.WriteLine(response.Message);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildEvents(CliConsole console)
    {
        var (host, id, last, json) = (CommonOptions.Host(), IdArgument(), CommonOptions.Last(), CommonOptions.Json());
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until the sandbox stops" };
        var command = new Command("events", "Print a sandbox's events: status changes, executions, blocked connections.") { host, last, follow, json };
        command.Arguments.Add(id);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var sandboxId = await LastRecords.SandboxIdAsync(client, parse.GetValue(id), parse.GetValue(last), token);
            using var call = client.Sandboxes.StreamSandboxEvents(
                new StreamSandboxEventsRequest { SandboxId = sandboxId, Follow = parse.GetValue(follow) }, cancellationToken: token);
            await foreach (var item in call.ResponseStream.ReadAllAsync(token))
            {
                console.Out.WriteLine(parse.GetValue(json) ? ProtoJson.Format(item) : $"{HumanFormat.Time(item.OccurredAt)}  {item.Message}");
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Argument<string?> IdArgument() => new("sandbox-id") { Arity = ArgumentArity.ZeroOrOne, Description = "The sandbox (or --last)" };
}
