using System.Diagnostics;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Observation;
using Cleanroom.Errors;
using Cleanroom.Server.Audit;
using Cleanroom.Telemetry;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Server.Observability;

/// <summary>
/// Completes the API call's span (<see cref="Activity.Current"/> in the handler's context, started by the API's
/// tracing middleware) with what only the server knows: the sandbox and execution the call touched, read from the typed
/// messages as the audit log reads them, the caller, and the stable code of a failure or refusal.
/// </summary>
internal sealed class RpcSpanSubjects : IApiCallObserver
{
    public void Completed(ServerCallContext context, IMessage? request, IMessage? response, Exception? failure)
    {
        if (Activity.Current is not { Kind: ActivityKind.Server } span || span.Source != CleanroomTelemetry.Source) return;
        var (sandboxId, executionId, _, _) = AuditSubjects.Of(request, response);
        if (sandboxId is not null) span.SetTag(TelemetryTags.SandboxId, sandboxId);
        if (executionId is not null) span.SetTag(TelemetryTags.ExecutionId, executionId);
        span.SetTag(TelemetryTags.Principal, context.GetHttpContext().Caller().Principal);
        if (failure is not null)
            span.RecordFailure(failure, failure is CleanroomException known ? known.Code : null);
    }

    public void Refused(HttpContext http, Caller? caller, string code)
    {
        if (Activity.Current is not { Kind: ActivityKind.Server } span || span.Source != CleanroomTelemetry.Source) return;
        span.SetStatus(ActivityStatusCode.Error, code);
        span.SetTag(TelemetryTags.ErrorCode, code);
    }
}
