using Cleanroom.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Api.Tests.TestDoubles;

/// <summary>An ExecutionService that "runs" every command as: stdout "hello\n", stderr "warn\n", exit 3.</summary>
public sealed class FakeExecutionService : ExecutionService.ExecutionServiceBase
{
    public override Task<CreateExecutionResponse> CreateExecution(CreateExecutionRequest request, ServerCallContext context) =>
        Task.FromResult(new CreateExecutionResponse
        {
            Execution = new Execution
            {
                ExecutionId = "ex-1", SandboxId = request.SandboxId, Status = ExecutionStatus.Queued,
                Command = { request.Command }, Kind = ExecutionKind.Batch,
            },
        });

    public override async Task StreamExecution(StreamExecutionRequest request, IServerStreamWriter<ExecutionStreamEvent> responseStream,
        ServerCallContext context)
    {
        ExecutionStreamEvent Event() => new() { SandboxId = request.SandboxId, ExecutionId = request.ExecutionId, Status = ExecutionStatus.Running };
        var stdout = Event();
        stdout.Stdout = ByteString.CopyFromUtf8("hello\n");
        await responseStream.WriteAsync(stdout);
        var stderr = Event();
        stderr.Stderr = ByteString.CopyFromUtf8("warn\n");
        await responseStream.WriteAsync(stderr);
        var exit = Event();
        exit.Status = ExecutionStatus.Failed;
        exit.Exit = new ExecutionExit { ExitCode = 3, Status = ExecutionStatus.Failed };
        await responseStream.WriteAsync(exit);
    }
}
