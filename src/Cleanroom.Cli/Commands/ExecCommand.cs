using System.CommandLine;
using System.Runtime.InteropServices;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Sandbox = Cleanroom.Api.V1.Sandbox;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Ports;
using Cleanroom.Cli.Terminal;
using Cleanroom.Cli.Workspace;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom exec -- CMD...</c>: run a command in a sandbox (a new one from the repository's policy, or
/// <c>--in ID</c>), stream its output, and exit with its exit code.
/// </summary>
internal static class ExecCommand
{
    public static Command Build(CliConsole console)
    {
        var options = new ExecOptions();
        var command = new Command("exec", "Run a command in a sandbox and exit with its exit code (a new sandbox from cleanroom.yaml unless --in is given).");
        options.AddTo(command);
        // Flags are read inside the session so that a bad flag is reported like any other error.
        command.SetAction((parse, token) => ApiSession.RunAsync(console, options.HostOf(parse),
            client => RunAsync(console, client, options.Read(parse), token)));
        return command;
    }

    /// <summary>
    /// <c>cleanroom console [-- CMD]</c>: exec on a terminal, by default the image's command, else a shell; the same
    /// sandbox, repository, image, env and copy flags as exec.
    /// </summary>
    public static Command BuildConsole(CliConsole console)
    {
        var options = new ExecOptions();
        var command = new Command("console", "Open a terminal in a sandbox: a shell (or -- CMD) on a real PTY; a new sandbox from cleanroom.yaml unless --in is given.");
        options.AddTo(command, alwaysTty: true);
        command.SetAction((parse, token) => ApiSession.RunAsync(console, options.HostOf(parse),
            client => RunAsync(console, client, options.Read(parse, alwaysTty: true), token)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, CleanroomClient client, ExecRequest request, CancellationToken cancellationToken)
    {
            if (request.Command.Count == 0 && !request.Tty)
            {
                throw new CleanroomException(ErrorCode.InvalidArgument, "name the command to run after --, e.g. cleanroom exec -- npm test");
            }

            var sandboxId = request.SandboxId;
            var sync = new WorkspaceSync(console, client);
            Sandbox? started = null;
            var workspaceFollows = false;
            SubmittedPolicy? submitted = null;
            if (sandboxId is null && request.Repository is { } repository)
            {
                started = await SandboxStartup.StartFromRepositoryAsync(console, client, repository, request.Backend, request.AllowAll, request.Image, request.NoCache, cancellationToken);
                sandboxId = started.SandboxId;
            }
            else if (sandboxId is null)
            {
                submitted = PolicySubmission.Prepare(console, request.Chdir, request.Backend, request.AllowAll);
                var create = submitted.Request;
                create.NoCache = request.NoCache;
                create.FromSnapshot = request.FromSnapshot ?? "";
                if (request.Image is not null)
                {
                    create.ImageRef = request.Image;
                }

                (started, workspaceFollows) = await SandboxStartup.StartAsync(console, client, submitted, request.Chdir, repositoryAware: true, cancellationToken);
                sandboxId = started.SandboxId;
                if (request.Image is not null)
                {
                    console.Error.WriteLine($"cleanroom: image {started.ImageRef}");
                }
            }
            else if (request.CopyIn)
            {
                var checkout = await WorkspaceSync.FindCheckoutAsync(console.ResolvePath(request.Chdir), cancellationToken)
                    ?? throw new CleanroomException(ErrorCode.NotAGitCheckout, "--copy-in needs a git checkout; run it inside one (or use --chdir)");
                var workspace = (await sync.ChangesAsync(sandboxId, cancellationToken)).Workspace;
                await sync.CopyInAsync(sandboxId, checkout, workspace.GuestPath, dryRun: false, cancellationToken);
            }

            if (request.PrintSandboxId)
            {
                console.Error.WriteLine($"cleanroom: sandbox {sandboxId}");
            }

            try
            {
                if (started is not null && submitted is not null)
                {
                    await SandboxStartup.FinishAsync(console, client, started, workspaceFollows, submitted!, request.Chdir,
                        repositoryAware: true, request.CopyIn, cancellationToken);
                }

                var routes = request.ExposeHttps.Routes(sandboxId,
                    () => request.Repository is not null ? null : (submitted ?? PolicySubmission.Prepare(console, request.Chdir, null, false)).ExposeHttps);
                await SandboxExposures.ExposeAsync(console, client, sandboxId, request.Expose, routes, cancellationToken);

                var exit = await RunInSandboxAsync(console, client, sandboxId, request, cancellationToken);
                if (request.CopyOut)
                {
                    var directory = request.Chdir is null ? null : console.ResolvePath(request.Chdir);
                    await sync.CopyOutAsync(sandboxId, directory ?? console.ResolvePath(null), dryRun: false, force: false,
                        WorkspaceSync.DefaultMaxCopyOutBytes, cancellationToken);
                }

                return exit;
            }
            finally
            {
                if (request.Remove)
                {
                    // The command is over: the server removes the sandbox without this process waiting for it.
                    await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId, NoWait = true }, cancellationToken: CancellationToken.None);
                }
            }
    }

    private static async Task<int> RunInSandboxAsync(
        CliConsole console, CleanroomClient client, string sandboxId, ExecRequest request, CancellationToken cancellationToken)
    {
        var mode = new AttachMode(request.Tty, request.ForwardsStdin(console.InputIsTerminal), DetachKeys.Parse(request.DetachKeys));
        var create = new CreateExecutionRequest
        {
            SandboxId = sandboxId,
            Kind = request.Tty ? ExecutionKind.Interactive : ExecutionKind.Batch,
            Options = new ExecutionOptions
            {
                Workdir = request.Cwd ?? "",
                TimeoutSeconds = request.TimeoutSeconds ?? 0,
                Tty = request.Tty,
                Stdin = mode.ForwardStdin,
            },
        };
        if (request.Tty && LocalTerminal.Size() is { } size)
        {
            create.Options.TerminalSize = new TerminalSize { Rows = size.Rows, Columns = size.Columns };
        }

        create.Command.AddRange(request.Command);
        foreach (var (name, value) in request.Environment(console.GetEnvironment))
        {
            create.Options.Env[name] = value;
        }

        using var session = new AttachedSession(console, client, mode, cancellationToken);
        var outcome = await session.RunAsync(new AttachExecutionRequest { Create = create });
        if (outcome.Exit is not null)
        {
            await ReportBlockedEgressAsync(console, client, outcome, cancellationToken);
        }

        return outcome.ExitCode;
    }

    /// <summary>
    /// After the command: every connection and DNS name the policy blocked while it ran, every request the host gateway
    /// refused, and a full sandbox disk, one stderr line each, so a failing download, clone or write says why instead of
    /// failing silently.
    /// </summary>
    private static async Task ReportBlockedEgressAsync(CliConsole console, CleanroomClient client, AttachOutcome execution, CancellationToken cancellationToken)
    {
        var since = execution.OpenedAt;
        using var events = client.Sandboxes.StreamSandboxEvents(
            new StreamSandboxEventsRequest { SandboxId = execution.SandboxId, Follow = false }, cancellationToken: cancellationToken);
        await foreach (var item in events.ResponseStream.ReadAllAsync(cancellationToken))
        {
            var reported = item.Type is "network.blocked" or "network.dns_refused" or "sandbox.disk_full"
                || (item.Type == "gateway.request" && item.Error is not null);
            if (reported && item.OccurredAt.ToDateTimeOffset() >= since)
            {
                console.Error.WriteLine($"cleanroom: {item.Message}");
            }
        }
    }
}
