using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.ExecutionService over the control plane; serves gRPC and Connect alike.</summary>
internal sealed class ExecutionApi(SandboxControl control, SandboxAccess access) : V1.ExecutionService.ExecutionServiceBase
{
    public override async Task<V1.CreateExecutionResponse> CreateExecution(V1.CreateExecutionRequest request, ServerCallContext context)
    {
        await access.SandboxAsync(context, SandboxApi.RequireId(request.SandboxId, "sandbox_id"));
        var execution = await control.CreateExecutionAsync(ExecutionRequests.For(request, control, liveStdin: false), context.CancellationToken);
        if (!request.StdinData.IsEmpty)
        {
            await control.WriteStdinAsync(execution.Id, request.StdinData.Memory, context.CancellationToken);
            await control.CloseStdinAsync(execution.Id, context.CancellationToken);
        }

        return new V1.CreateExecutionResponse { Execution = ProtoMapping.ToProto(execution) };
    }

    public override async Task<V1.GetExecutionResponse> GetExecution(V1.GetExecutionRequest request, ServerCallContext context)
    {
        var execution = await Find(request.SandboxId, request.ExecutionId, context);
        return new V1.GetExecutionResponse { Execution = ProtoMapping.ToProto(execution) };
    }

    public override async Task<V1.ListExecutionsResponse> ListExecutions(V1.ListExecutionsRequest request, ServerCallContext context)
    {
        var response = new V1.ListExecutionsResponse();
        var sandboxes = string.IsNullOrEmpty(request.SandboxId)
            ? (await control.ListSandboxesAsync(context.CancellationToken)).Where(s => access.Sees(context, s)).Select(s => s.Id)
            : [(await access.SandboxAsync(context, request.SandboxId)).Id];
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
        var execution = await Find(request.SandboxId, request.ExecutionId, context);
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
        var execution = await Find(request.SandboxId, request.ExecutionId, context);
        var items = request.Follow
            ? control.StreamExecutionAsync(execution.Id, context.CancellationToken)
            : control.ReadExecutionOutputAsync(execution.Id, context.CancellationToken);
        await foreach (var item in items)
        {
            await responseStream.WriteAsync(ExecutionStreamEvents.For(execution, item), context.CancellationToken);
        }
    }

    public override Task AttachExecution(
        IAsyncStreamReader<V1.AttachExecutionRequest> requestStream, IServerStreamWriter<V1.ExecutionStreamEvent> responseStream,
        ServerCallContext context) =>
        new ExecutionAttachment(control, requestStream, responseStream).RunAsync(
            (sandboxId, executionId, _) => Find(sandboxId, executionId, context), id => access.SandboxAsync(context, id), context.CancellationToken);

    private async Task<Execution> Find(string sandboxId, string executionId, ServerCallContext context)
    {
        var execution = await access.ExecutionAsync(context, SandboxApi.RequireId(executionId, "execution_id"));
        if (!string.IsNullOrEmpty(sandboxId) && execution.SandboxId != sandboxId)
        {
            throw new CleanroomException(ErrorCode.NotFound, $"execution {executionId} is not in sandbox {sandboxId}");
        }

        return execution;
    }
}
