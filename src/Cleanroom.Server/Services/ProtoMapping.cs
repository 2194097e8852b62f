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
            DangerouslyAllowAll = sandbox.AllowAll,
            CreatedAt = Timestamp.FromDateTimeOffset(sandbox.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(sandbox.UpdatedAt),
            Labels = { sandbox.Labels.ToDictionary(StringComparer.Ordinal) },
            Owner = sandbox.Owner ?? "",
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

        proto.Timings = ToProto(execution.Timings);
        return proto;
    }

    private static V1.ExecutionTimings ToProto(ExecutionTimings timings)
    {
        static Duration? Of(TimeSpan? span) => span is { } s ? Duration.FromTimeSpan(s) : null;
        return new V1.ExecutionTimings
        {
            ImageReady = Of(timings.ImageReady),
            NetworkReady = Of(timings.NetworkReady),
            SandboxReady = Of(timings.SandboxReady),
            Command = Of(timings.Command),
            Total = Of(timings.Total),
        };
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
            Type = item.Type,
        };
        if (item.Type == SandboxEventTypes.SandboxStatus && Text(root, "status") is { } status)
        {
            proto.Status = ToProto(StatusNames.ParseSandbox(status));
        }

        if (item.Type == SandboxEventTypes.NetworkBlocked)
        {
            proto.BlockedConnection = new V1.BlockedConnection
            {
                Host = Text(root, "host") ?? Text(root, "address") ?? "",
                Port = root.TryGetProperty("port", out var port) && port.ValueKind == JsonValueKind.Number ? port.GetInt32() : 0,
                Protocol = Text(root, "protocol") ?? "",
                Reason = Text(root, "reason") ?? "",
                Address = Text(root, "address") ?? "",
                Stage = Text(root, "stage") ?? "",
                ExecutionId = Text(root, "execution_id") ?? "",
            };
        }

        // A request the gateway refused carries its reason as the error code, so clients can show denials like blocks.
        if (item.Type == SandboxEventTypes.GatewayRequest && Text(root, "action") == "deny")
        {
            proto.Error = new V1.ErrorDetail { Code = Text(root, "reason") ?? "", Message = proto.Message };
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
        SandboxStatus.Suspended => V1.SandboxStatus.Suspended,
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
        SandboxEventTypes.NetworkBlocked => DescribeBlocked(payload),
        SandboxEventTypes.GatewayRequest => DescribeGateway(payload),
        SandboxEventTypes.DnsRefused => $"refused DNS {Text(payload, "query_type")} {Text(payload, "name")} ({Text(payload, "reason")})",
        _ => Text(payload, "message") ?? type,
    };

    /// <summary><c>blocked egress to 198.18.0.11:80/tcp (host_not_allowed)</c>, naming the host when DNS gave it.</summary>
    private static string DescribeBlocked(JsonElement payload)
    {
        var address = Text(payload, "address");
        var host = Text(payload, "host");
        var port = payload.TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
        var target = host is null ? $"{address}:{port}" : $"{host}:{port}";
        var detail = host is null ? Text(payload, "reason") : $"{address}, {Text(payload, "reason")}";
        return $"blocked egress to {target}/{Text(payload, "protocol")} ({detail})";
    }

    /// <summary><c>gateway git POST git.test:8080/org/repo.git/git-upload-pack: allow (ok), status 200, 210 bytes in, 1532 bytes out</c>.</summary>
    private static string DescribeGateway(JsonElement payload)
    {
        var port = payload.TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number ? $":{p.GetInt32()}" : "";
        var target = Text(payload, "host") is { } host ? $" {host}{port}{Text(payload, "path")}" : "";
        long Number(string name) => payload.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0;
        return $"gateway {Text(payload, "service")} {Text(payload, "method")}{target}: {Text(payload, "action")} ({Text(payload, "reason")}), "
            + $"status {Number("status")}, {Number("bytes_in")} bytes in, {Number("bytes_out")} bytes out"
            + (Text(payload, "mirror") is { } mirror ? $", mirror {mirror}" : "")
            + (Text(payload, "cache") is { } cache ? $", cache {cache}" : "");
    }

    private static string Join(string head, string? detail) => detail is null ? head : $"{head}: {detail}";

    private static string? Text(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
