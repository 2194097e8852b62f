using System.Text.Json.Serialization;

namespace Cleanroom.Server.Audit;

/// <summary>
/// One line of the audit log: who (principal and how it was established, the peer), did what (the RPC), to which
/// sandbox and execution, with which policy hash and allow-all (on creates), and how it ended (<c>ok</c> or the
/// stable error code). Never a request's content: no commands, files, tokens or secrets.
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset Time,
    string Principal,
    string Method,
    string Peer,
    string Verb,
    string? SandboxId,
    string? ExecutionId,
    string? PolicyHash,
    bool? AllowAll,
    string Outcome);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class AuditEntryJson : JsonSerializerContext;
