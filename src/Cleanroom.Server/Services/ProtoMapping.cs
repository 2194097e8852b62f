using System.Text.Json;
using Cleanroom.ControlPlane;
using Google.Protobuf.WellKnownTypes;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>Control-plane records to their wire form. The wire types never reach the control plane.</summary>
internal static class ProtoMapping
{
    public static V1.Sandbox ToProto(Sandbox sandbox)
    {
        var proto = new V1.Sandbox
        {
            SandboxId = sandbox.Id,
            Status = ToProto(sandbox.Status),
            Backend = sandbox.Backend ?? "",
            PolicyHash = sandbox.Policy.Hash,
            ImageRef = sandbox.ImageRef,
            CreatedAt = Timestamp.FromDateTimeOffset(sandbox.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(sandbox.UpdatedAt),
        };
        if (sandbox.FailureMessage is not null)
        {
            proto.Error = new V1.ErrorDetail { Code = sandbox.FailureCode ?? "", Message = sandbox.FailureMessage };
        }

        return proto;
    }

    public static V1.Execution ToProto(Execution execution)
    {
        var proto = new V1.Execution
        {
            ExecutionId = execution.Id,
            SandboxId = execution.SandboxId,
            Status = ToProto(execution.Status),
            ExitCode = execution.ExitCode ?? 0,
            Tty = execution.Spec.Tty,
            Kind = V1.ExecutionKind.Batch,
        };
        proto.Command.AddRange(execution.Spec.Argv);
        if (execution.StartedAt is { } started)
        {
            proto.StartedAt = Timestamp.FromDateTimeOffset(started);
        }

        if (execution.FinishedAt is { } finished)
        {
            proto.FinishedAt = Timestamp.FromDateTimeOffset(finished);
        }

        if (execution.FailureMessage is not null)
        {
            proto.Error = new V1.ErrorDetail { Message = execution.FailureMessage };
        }

        return proto;
    }

    public static V1.SandboxEvent ToProto(SandboxEvent item, SandboxStatus currentStatus)
    {
        using var payload = JsonDocument.Parse(item.PayloadJson);
        var root = payload.RootElement;
        var proto = new V1.SandboxEvent
        {
            SandboxId = item.SandboxId,
            Status = ToProto(currentStatus),
            OccurredAt = Timestamp.FromDateTimeOffset(item.Time),
            Message = Describe(item.Type, root),
        };
        if (item.Type == SandboxEventTypes.SandboxStatus && Text(root, "status") is { } status)
        {
            proto.Status = ToProto(StatusNames.ParseSandbox(status));
        }

        if (Text(root, "code") is { } code)
        {
            proto.Error = new V1.ErrorDetail { Code = code, Message = Text(root, "message") ?? "" };
        }

        return proto;
    }

    public static V1.SandboxStatus ToProto(SandboxStatus status) => status switch
    {
        SandboxStatus.Provisioning => V1.SandboxStatus.Provisioning,
        SandboxStatus.Ready => V1.SandboxStatus.Ready,
        SandboxStatus.Stopping => V1.SandboxStatus.Stopping,
        SandboxStatus.Stopped => V1.SandboxStatus.Stopped,
        SandboxStatus.Failed => V1.SandboxStatus.Failed,
        _ => V1.SandboxStatus.Unspecified,
    };

    public static V1.ExecutionStatus ToProto(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Queued => V1.ExecutionStatus.Queued,
        ExecutionStatus.Running => V1.ExecutionStatus.Running,
        ExecutionStatus.Succeeded => V1.ExecutionStatus.Succeeded,
        ExecutionStatus.Failed => V1.ExecutionStatus.Failed,
        ExecutionStatus.Canceled => V1.ExecutionStatus.Canceled,
        ExecutionStatus.TimedOut => V1.ExecutionStatus.TimedOut,
        _ => V1.ExecutionStatus.Unspecified,
    };

    /// <summary>One human line per event, so clients that only show <c>message</c> still say what happened.</summary>
    private static string Describe(string type, JsonElement payload) => type switch
    {
        SandboxEventTypes.SandboxStatus => Join($"sandbox {Text(payload, "status")}", Text(payload, "message")),
        SandboxEventTypes.ExecutionStatus => Join(
            $"execution {Text(payload, "execution_id")} {Text(payload, "status")}"
                + (payload.TryGetProperty("exit_code", out var code) && code.ValueKind == JsonValueKind.Number ? $" (exit {code.GetInt32()})" : ""),
            Text(payload, "message")),
        SandboxEventTypes.Reconciled => Join($"after restart: {Text(payload, "outcome")}", Text(payload, "message")),
        _ => Text(payload, "message") ?? type,
    };

    private static string Join(string head, string? detail) => detail is null ? head : $"{head}: {detail}";

    private static string? Text(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
