namespace Cleanroom.Telemetry;

/// <summary>
/// Attribute names on spans and metrics. Ours are under <c>cleanroom.</c>; the rest follow OpenTelemetry's semantic
/// conventions (<c>rpc.*</c>, <c>error.type</c>) so standard tools group them without configuration.
/// </summary>
public static class TelemetryTags
{
    public const string SandboxId = "cleanroom.sandbox.id";
    public const string ExecutionId = "cleanroom.execution.id";
    public const string Backend = "cleanroom.backend";
    public const string ImageRef = "cleanroom.image.ref";
    public const string Stage = "cleanroom.stage";
    public const string ErrorCode = "cleanroom.error.code";
    public const string Status = "cleanroom.status";
    public const string Principal = "cleanroom.principal";

    public const string RpcSystem = "rpc.system";
    public const string RpcService = "rpc.service";
    public const string RpcMethod = "rpc.method";
}
