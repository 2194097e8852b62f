using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>The wire form of the control plane's execution stream items (StreamExecution and AttachExecution).</summary>
internal static class ExecutionStreamEvents
{
    /// <summary>An event with the execution's id and status and no payload: how an attached session learns what it is attached to.</summary>
    public static V1.ExecutionStreamEvent Opening(Execution execution) => new()
    {
        SandboxId = execution.SandboxId,
        ExecutionId = execution.Id,
        Status = ProtoMapping.ToProto(execution.Status),
        OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    };

    public static V1.ExecutionStreamEvent For(Execution execution, ExecutionStreamItem item)
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

        return message;
    }
}
