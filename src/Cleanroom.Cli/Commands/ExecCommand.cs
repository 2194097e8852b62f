using System.CommandLine;
using System.Runtime.InteropServices;
using Cleanroom.Api.Client;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
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

    private static async Task<int> RunAsync(CliConsole console, CleanroomClient client, ExecRequest request, CancellationToken cancellationToken)
    {
            if (request.Command.Count == 0)
            {
                throw new CleanroomException(ErrorCode.InvalidArgument, "name the command to run after --, e.g. cleanroom exec -- npm test");
            }

            var sandboxId = request.SandboxId;
            var sync = new WorkspaceSync(console, client);
            Sandbox? started = null;
            SubmittedPolicy? submitted = null;
            if (sandboxId is null)
            {
                submitted = PolicySubmission.Prepare(console, request.Chdir, request.Backend, request.AllowAll);
                var create = submitted.Request;
                if (request.Image is not null)
                {
                    create.ImageRef = request.Image;
                }

                started = await SandboxReadiness.StartAsync(client, create, cancellationToken);
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
                if (started is not null)
                {
                    await SandboxReadiness.WaitUntilReadyAsync(console, client, started, cancellationToken);
                    await RepositoryWorkspace.PrepareAsync(console, client, sandboxId, request.Chdir, submitted!.RepositoryPath, request.CopyIn, cancellationToken);
                }

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
        var create = new CreateExecutionRequest
        {
            SandboxId = sandboxId,
            Kind = ExecutionKind.Batch,
            Options = new ExecutionOptions
            {
                Workdir = request.Cwd ?? "",
                TimeoutSeconds = request.TimeoutSeconds ?? 0,
            },
        };
        create.Command.AddRange(request.Command);
        foreach (var (name, value) in request.Environment(console.GetEnvironment))
        {
            create.Options.Env[name] = value;
        }

        if (request.Stdin)
        {
            var buffer = new MemoryStream();
            await Console.OpenStandardInput().CopyToAsync(buffer, cancellationToken);
            create.Options.Stdin = true;
            create.StdinData = ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
        }

        var execution = (await client.Executions.CreateExecutionAsync(create, cancellationToken: cancellationToken)).Execution;
        using var interrupts = new InterruptHandler(console, client, execution);
        using var stream = client.Executions.StreamExecution(
            new StreamExecutionRequest { SandboxId = sandboxId, ExecutionId = execution.ExecutionId, Follow = true },
            cancellationToken: CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interrupts.Detached).Token);
        try
        {
            await foreach (var item in stream.ResponseStream.ReadAllAsync())
            {
                switch (item.PayloadCase)
                {
                    case ExecutionStreamEvent.PayloadOneofCase.Stdout:
                        await console.RawOut.WriteAsync(item.Stdout.Memory, cancellationToken);
                        await console.RawOut.FlushAsync(cancellationToken);
                        break;
                    case ExecutionStreamEvent.PayloadOneofCase.Stderr:
                        await console.RawError.WriteAsync(item.Stderr.Memory, cancellationToken);
                        await console.RawError.FlushAsync(cancellationToken);
                        break;
                    case ExecutionStreamEvent.PayloadOneofCase.Message:
                        console.Error.WriteLine($"cleanroom: {item.Message}");
                        break;
                    case ExecutionStreamEvent.PayloadOneofCase.Exit:
                        if (!string.IsNullOrEmpty(item.Exit.Message))
                        {
                            console.Error.WriteLine($"cleanroom: execution {execution.ExecutionId} {item.Exit.Status}: {item.Exit.Message}");
                        }

                        await ReportBlockedEgressAsync(console, client, execution, cancellationToken);
                        return WorkloadExit.CodeFor(item.Exit);
                }
            }
        }
        catch (RpcException e) when (interrupts.Detached.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
        {
            console.Error.WriteLine($"cleanroom: detached; execution {execution.ExecutionId} goes on in sandbox {sandboxId}");
            return WorkloadExit.Interrupted;
        }

        throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"the output stream of {execution.ExecutionId} ended without an exit");
    }

    /// <summary>
    /// After the command: every connection and DNS name the policy blocked while it ran, one stderr line each, so
    /// a failing download says why instead of timing out silently.
    /// </summary>
    private static async Task ReportBlockedEgressAsync(CliConsole console, CleanroomClient client, Execution execution, CancellationToken cancellationToken)
    {
        var since = execution.StartedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
        using var events = client.Sandboxes.StreamSandboxEvents(
            new StreamSandboxEventsRequest { SandboxId = execution.SandboxId, Follow = false }, cancellationToken: cancellationToken);
        await foreach (var item in events.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (item.Type is "network.blocked" or "network.dns_refused" && item.OccurredAt.ToDateTimeOffset() >= since)
            {
                console.Error.WriteLine($"cleanroom: {item.Message}");
            }
        }
    }

    /// <summary>
    /// Ctrl-C once cancels the execution (the server sends SIGTERM, then SIGKILL); a second Ctrl-C detaches,
    /// leaving the execution to the server.
    /// </summary>
    private sealed class InterruptHandler : IDisposable
    {
        private readonly CancellationTokenSource _detach = new();
        private readonly PosixSignalRegistration? _registration;
        private int _count;

        public InterruptHandler(CliConsole console, CleanroomClient client, Execution execution)
        {
            if (!console.InteractiveProcess)
            {
                return;
            }

            _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                if (Interlocked.Increment(ref _count) == 1)
                {
                    console.Error.WriteLine("cleanroom: canceling the execution (Ctrl-C again to detach)");
                    _ = client.Executions.CancelExecutionAsync(new CancelExecutionRequest
                    {
                        SandboxId = execution.SandboxId,
                        ExecutionId = execution.ExecutionId,
                    }).ResponseAsync.ContinueWith(_ => { }, TaskScheduler.Default);
                }
                else
                {
                    _detach.Cancel();
                }
            });
        }

        public CancellationToken Detached => _detach.Token;

        public void Dispose()
        {
            _registration?.Dispose();
            _detach.Dispose();
        }
    }
}
