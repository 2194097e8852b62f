using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// One AttachExecution call: the first request creates an execution or names one; then output flows out (the
/// retained part first, then live, then the exit) while stdin, its end, resizes and signals flow in.
/// Memory stays bounded both ways: a stdin write waits for the workload to take it (the agent's credit), and
/// while it waits no further request is read, so HTTP/2 flow control holds the client back; output is written
/// as the client reads it, and a client that stops reading stops the execution's output pump (like a pipe).
/// Leaving the call (the client goes away or cancels) detaches: the execution goes on, and its stdin becomes free
/// for the next session to take.
/// </summary>
internal sealed class ExecutionAttachment(
    SandboxControl control,
    IAsyncStreamReader<V1.AttachExecutionRequest> requests,
    IServerStreamWriter<V1.ExecutionStreamEvent> responses)
{
    private const int MaxSignal = 64;

    /// <param name="requireSandbox">Refuses (not_found) a sandbox the caller may not see, before an execution is created in it.</param>
    public async Task RunAsync(Func<string, string, CancellationToken, Task<Execution>> find, Func<string, Task> requireSandbox, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "AttachExecution needs a first request with create or attach");
        }

        var (execution, stdinClaim, followed) = await OpenAsync(requests.Current, find, requireSandbox, cancellationToken);
        using (followed)
        using (stdinClaim)
        {
            await responses.WriteAsync(ExecutionStreamEvents.Opening(execution), cancellationToken);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var input = PumpInputAsync(execution.Id, stdinClaim is not null, stop.Token);
            var output = PumpOutputAsync(execution, followed, stop.Token);
            var first = await Task.WhenAny(input, output);
            if (first == input && input.IsFaulted)
            {
                // A bad request from the client ends the session with its error.
                await stop.CancelAsync();
                await Quietly(output);
                await input;
            }

            await output;
            await stop.CancelAsync();
            await Quietly(input);
        }
    }

    // A session that creates its execution follows it from before the start, so it gets every byte of output however
    // much there is (a later subscriber would replay only the retained head); one that attaches replays, then follows.
    private async Task<(Execution Execution, IDisposable? StdinClaim, FollowedExecution? Followed)> OpenAsync(
        V1.AttachExecutionRequest first, Func<string, string, CancellationToken, Task<Execution>> find, Func<string, Task> requireSandbox,
        CancellationToken cancellationToken)
    {
        switch (first.ActionCase)
        {
            case V1.AttachExecutionRequest.ActionOneofCase.Create:
                await requireSandbox(SandboxApi.RequireId(first.Create.SandboxId, "create.sandbox_id"));
                var request = ExecutionRequests.For(first.Create, control, liveStdin: false);
                var followed = await control.CreateFollowedExecutionAsync(request, cancellationToken);
                var created = followed.Execution;
                try
                {
                    var claim = request.Spec.Stdin ? TryClaimStdin(created.Id) : null;
                    if (claim is not null and not EndedStdin && !first.Create.StdinData.IsEmpty)
                    {
                        await control.WriteStdinAsync(created.Id, first.Create.StdinData.Memory, cancellationToken);
                    }

                    return (created, claim, followed);
                }
                catch
                {
                    followed.Dispose();
                    throw;
                }
            case V1.AttachExecutionRequest.ActionOneofCase.Attach:
                var execution = await find(first.Attach.SandboxId, first.Attach.ExecutionId, cancellationToken);
                return (execution, first.Attach.Stdin ? control.ClaimStdin(execution.Id) : null, null);
            default:
                throw new CleanroomException(ErrorCode.InvalidArgument, "the first AttachExecution request must be create or attach");
        }
    }

    // A command that ended before it could be attached to (true, say, or one whose run.before failed) has no stdin left
    // to write; that is no error. The session still counts as the writer, so the client's stdin, close and resize,
    // already on their way, are dropped like those for any ended execution (WhileRunning) instead of refused.
    private IDisposable TryClaimStdin(string executionId)
    {
        try
        {
            return control.ClaimStdin(executionId);
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.InvalidArgument)
        {
            return EndedStdin.Instance;
        }
    }

    private sealed class EndedStdin : IDisposable
    {
        public static readonly EndedStdin Instance = new();

        public void Dispose()
        {
        }
    }

    private async Task PumpOutputAsync(Execution execution, FollowedExecution? followed, CancellationToken cancellationToken)
    {
        var items = followed is null ? control.StreamExecutionAsync(execution.Id, cancellationToken) : followed.Output(cancellationToken);
        await foreach (var item in items)
        {
            await responses.WriteAsync(ExecutionStreamEvents.For(execution, item), cancellationToken);
        }
    }

    private async Task PumpInputAsync(string executionId, bool writesStdin, CancellationToken cancellationToken)
    {
        // The client half-closing its side only means it has nothing more to send; output goes on until the exit.
        while (await requests.MoveNext(cancellationToken))
        {
            var request = requests.Current;
            switch (request.ActionCase)
            {
                case V1.AttachExecutionRequest.ActionOneofCase.Stdin:
                    RequireWriter(writesStdin, "stdin");
                    await WhileRunning(() => control.WriteStdinAsync(executionId, request.Stdin.Memory, cancellationToken));
                    break;
                case V1.AttachExecutionRequest.ActionOneofCase.CloseStdin:
                    RequireWriter(writesStdin, "close_stdin");
                    await WhileRunning(() => control.CloseStdinAsync(executionId, cancellationToken));
                    break;
                case V1.AttachExecutionRequest.ActionOneofCase.Resize:
                    RequireWriter(writesStdin, "resize");
                    var size = ExecutionRequests.TerminalSizeOf(request.Resize, "resize") ?? TerminalSize.Default;
                    await WhileRunning(() => control.ResizeExecutionAsync(executionId, size, cancellationToken));
                    break;
                case V1.AttachExecutionRequest.ActionOneofCase.Signal:
                    if (request.Signal is < 1 or > MaxSignal)
                    {
                        throw new CleanroomException(ErrorCode.InvalidArgument, $"signal must be a signal number from 1 to {MaxSignal}, not {request.Signal}");
                    }

                    await WhileRunning(() => control.SignalExecutionAsync(executionId, request.Signal, cancellationToken));
                    break;
                case V1.AttachExecutionRequest.ActionOneofCase.Create or V1.AttachExecutionRequest.ActionOneofCase.Attach:
                    throw new CleanroomException(ErrorCode.InvalidArgument, "only the first AttachExecution request may create or attach");
                default:
                    throw new CleanroomException(ErrorCode.InvalidArgument, "an AttachExecution request must carry one action");
            }
        }
    }

    private static void RequireWriter(bool writesStdin, string action)
    {
        if (!writesStdin)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{action} needs the execution's stdin: create it with options.stdin or options.tty, or attach with stdin");
        }
    }

    // Input that arrives as the workload ends (keystrokes after `exit`, stdin of a command that closed it) has
    // nowhere to go; it is dropped, as a pipe would. The status may not say "ended" yet at this point (the exit is
    // recorded after the agent reports it), so no status check can tell this apart from a mistake: the session
    // stays up either way, and the exit reaches the client through the output pump.
    private static async Task WhileRunning(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.InvalidArgument)
        {
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // The other half ended the session; its own outcome is what the caller sees.
        }
    }
}
