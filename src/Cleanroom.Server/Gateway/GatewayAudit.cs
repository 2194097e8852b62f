using System.Text.Json.Nodes;
using Cleanroom.ControlPlane;
using Cleanroom.Server.Egress;

namespace Cleanroom.Server.Gateway;

/// <summary>One gateway request as the audit sees it. Built from the route and the outcome only: no header, no credential.</summary>
internal sealed record GatewayRequestRecord(
    GatewayCaller Caller,
    string Service,
    string Method,
    string? Host,
    int? Port,
    string? Path,
    bool Allowed,
    string Reason,
    int Status,
    long BytesIn,
    long BytesOut,
    bool CredentialAdded,
    string? Mirror = null,
    string? Cache = null);

/// <summary>
/// Every gateway request of a sandbox becomes a <c>gateway.request</c> event on its stream and a line in the audit log
/// (the egress recorder's, so one file holds all of a sandbox's network decisions).
/// </summary>
internal sealed class GatewayAudit(EgressEventRecorder recorder, TimeProvider time)
{
    public void Record(GatewayRequestRecord request)
    {
        var payload = new JsonObject
        {
            ["service"] = request.Service,
            ["method"] = request.Method,
            ["host"] = request.Host,
            ["port"] = request.Port,
            ["path"] = request.Path,
            ["action"] = request.Allowed ? "allow" : "deny",
            ["reason"] = request.Reason,
            ["status"] = request.Status,
            ["bytes_in"] = request.BytesIn,
            ["bytes_out"] = request.BytesOut,
            ["credential"] = request.CredentialAdded,
            ["mirror"] = request.Mirror,
            ["cache"] = request.Cache,
            ["execution_id"] = request.Caller.Network.ExecutionId,
        };
        recorder.Record(request.Caller.SandboxId, SandboxEventTypes.GatewayRequest, payload, time.GetUtcNow());
    }

    /// <summary>A warning about the sandbox's gateway use (stale registry metadata served) as a <c>message</c> event.</summary>
    public void Warn(GatewayCaller caller, string message) =>
        recorder.Record(caller.SandboxId, SandboxEventTypes.Message, new JsonObject
        {
            ["level"] = "warning",
            ["message"] = message,
            ["execution_id"] = caller.Network.ExecutionId,
        }, time.GetUtcNow());
}
