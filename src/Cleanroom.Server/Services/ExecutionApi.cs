using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.ExecutionService over the control plane; serves gRPC and Connect alike.</summary>
internal sealed class ExecutionApi(SandboxControl control) : V1.ExecutionService.ExecutionServiceBase
{
    public override async Task<V1.CreateExecutionResponse> CreateExecution(V1.CreateExecutionRequest request, ServerCallContext context)
    {
        var sandboxId = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        if (request.Command.Count == 0 || request.Command[0].Length == 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "command must name a program to run");
        }

        var options = request.Options ?? new V1.ExecutionOptions();
        var hasStdinData = !request.StdinData.IsEmpty;
        var execution = await control.CreateExecutionAsync(new CreateExecutionRequest(sandboxId, new ExecutionSpec
        {
            Argv = request.Command.ToList(),
            // A protobuf map has no order; sorting makes the order the workload sees stable.
            Env = options.Env.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList(),
            // A repository-aware sandbox runs in its workspace unless told otherwise.
            Cwd = string.IsNullOrEmpty(options.Workdir) ? control.WorkspaceGuestPath(sandboxId) : options.Workdir,
            User = string.IsNullOrEmpty(options.User) ? null : options.User,
            Tty = options.Tty,
            Stdin = options.Stdin || hasStdinData,
            Timeout = options.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.TimeoutSeconds) : null,
        }), context.CancellationToken);

        if (hasStdinData)
        {
            await control.WriteStdinAsync(execution.Id, request.StdinData.Memory, context.CancellationToken);
            await control.CloseStdinAsync(execution.Id, context.CancellationToken);
        }

        return new V1.CreateExecutionResponse { Execution = ProtoMapping.ToProto(execution) };
    }

    public override async Task<V1.GetExecutionResponse> GetExecution(V1.GetExecutionRequest request, ServerCallContext context)
    {
        var execution = await Find(request.SandboxId, request.ExecutionId, context.CancellationToken);
        return new V1.GetExecutionResponse { Execution = ProtoMapping.ToProto(execution) };
    }

    public override async Task<V1.ListExecutionsResponse> ListExecutions(V1.ListExecutionsRequest request, ServerCallContext context)
    {
        var response = new V1.ListExecutionsResponse();
        var sandboxes = string.IsNullOrEmpty(request.SandboxId)
            ? (await control.ListSandboxesAsync(context.CancellationToken)).Select(s => s.Id)
            : [request.SandboxId];
        foreach (var sandboxId in sandboxes)
        {
            foreach (var execution in await control.ListExecutionsAsync(sandboxId, context.CancellationToken))
            {
                response.Executions.Add(ProtoMapping.ToProto(execution));
            }
        }

        return response;
    }

    public override async Task<V1.CancelExecutionResponse> CancelExecution(V1.CancelExecutionRequest request, ServerCallContext context)
    {
        var execution = await Find(request.SandboxId, request.ExecutionId, context.CancellationToken);
        var wasRunning = execution.Status is ExecutionStatus.Queued or ExecutionStatus.Running;
        var after = await control.CancelExecutionAsync(execution.Id, context.CancellationToken);
        return new V1.CancelExecutionResponse
        {
            SandboxId = after.SandboxId,
            ExecutionId = after.Id,
            Accepted = wasRunning,
            Status = ProtoMapping.ToProto(after.Status),
        };
    }

    public override async Task StreamExecution(
        V1.StreamExecutionRequest request, IServerStreamWriter<V1.ExecutionStreamEvent> responseStream, ServerCallContext context)
    {
        var execution = await Find(request.SandboxId, request.ExecutionId, context.CancellationToken);
        var items = request.Follow
            ? control.StreamExecutionAsync(execution.Id, context.CancellationToken)
            : control.ReadExecutionOutputAsync(execution.Id, context.CancellationToken);
        await foreach (var item in items)
        {
            var message = new V1.ExecutionStreamEvent
            {
                SandboxId = execution.SandboxId,
                ExecutionId = execution.Id,
                Status = V1.ExecutionStatus.Running,
                OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            };
            switch (item)
            {
                case ExecutionOutput { Stream: OutputStream.Stdout } output:
                    message.Stdout = UnsafeByteOperations.UnsafeWrap(output.Data);
                    break;
                case ExecutionOutput output:
                    message.Stderr = UnsafeByteOperations.UnsafeWrap(output.Data);
                    break;
                case ExecutionOutputTruncated truncated:
                    message.OutputTruncated = true;
                    message.Message = $"{(truncated.Stream == OutputStream.Stdout ? "stdout" : "stderr")} truncated: only the first {truncated.RetainedBytes} bytes were kept";
                    break;
                case ExecutionExited exited:
                    var final = exited.Execution;
                    message.Status = ProtoMapping.ToProto(final.Status);
                    message.Exit = new V1.ExecutionExit
                    {
                        ExitCode = final.ExitCode ?? -1,
                        Status = ProtoMapping.ToProto(final.Status),
                        Message = final.FailureMessage ?? "",
                    };
                    if (final.Stdout?.Truncated == true || final.Stderr?.Truncated == true)
                    {
                        message.OutputTruncated = true;
                        message.TruncatedBytes = (final.Stdout is { } o ? o.TotalBytes - o.RetainedBytes : 0)
                            + (final.Stderr is { } e ? e.TotalBytes - e.RetainedBytes : 0);
                    }

                    break;
            }

            await responseStream.WriteAsync(message, context.CancellationToken);
        }
    }

    private async Task<Execution> Find(string sandboxId, string executionId, CancellationToken cancellationToken)
    {
        var execution = await control.GetExecutionAsync(SandboxApi.RequireId(executionId, "execution_id"), cancellationToken);
        if (!string.IsNullOrEmpty(sandboxId) && execution.SandboxId != sandboxId)
        {
            throw new CleanroomException(ErrorCode.NotFound, $"execution {executionId} is not in sandbox {sandboxId}");
        }

        return execution;
    }
}
