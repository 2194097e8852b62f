namespace Cleanroom.ControlPlane;

/// <summary>
/// One entry of a sandbox's event stream. The type is an open string (see <see cref="SandboxEventTypes"/>)
/// and the payload a JSON object, so new kinds (blocked connections, audit) need no schema change.
/// <see cref="Seq"/> counts from 1 per sandbox, so a client can resume after the last one it saw.
/// </summary>
public sealed record SandboxEvent(string SandboxId, long Seq, DateTimeOffset Time, string Type, string PayloadJson);
