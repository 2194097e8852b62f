using System.Text.Json;
using System.Text.Json.Nodes;
using Cleanroom.ControlPlane;
using Cleanroom.Network;
using Cleanroom.Telemetry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Egress;

/// <summary>
/// Where egress decisions go: blocked connections and refused names onto the sandbox's event stream, and every
/// decision (allowed resolutions too) into the audit log, one JSON object per line under the state directory.
/// Called from the network's background threads.
/// </summary>
public sealed class EgressEventRecorder(Func<SandboxControl?> control, string auditLogPath, ILogger logger) : IEgressEventSink, IDisposable
{
    private readonly object _gate = new();
    private StreamWriter? _audit;

    public void BlockedConnection(BlockedConnection blocked)
    {
        var payload = new JsonObject
        {
            ["address"] = blocked.Address.ToString(),
            ["host"] = blocked.HostName,
            ["port"] = blocked.Port,
            ["protocol"] = blocked.Protocol,
            ["reason"] = blocked.Reason,
            ["stage"] = blocked.Stage,
            ["execution_id"] = blocked.ExecutionId,
        };
        Record(blocked.SandboxId, SandboxEventTypes.NetworkBlocked, payload, blocked.Time);
        CleanroomMetrics.BlockedConnections.Add(1, new KeyValuePair<string, object?>("kind", "connection"),
            new KeyValuePair<string, object?>("protocol", blocked.Protocol));
    }

    public void HostNotAllowed(HostNotAllowed refused)
    {
        var payload = new JsonObject
        {
            ["name"] = refused.Name,
            ["query_type"] = refused.QueryType,
            ["reason"] = refused.Reason,
            ["stage"] = refused.Stage,
            ["execution_id"] = refused.ExecutionId,
        };
        Record(refused.SandboxId, SandboxEventTypes.DnsRefused, payload, refused.Time);
        CleanroomMetrics.BlockedConnections.Add(1, new KeyValuePair<string, object?>("kind", "dns"));
    }

    public void AllowedResolution(AllowedResolution resolution)
    {
        var payload = new JsonObject
        {
            ["name"] = resolution.Name,
            ["addresses"] = new JsonArray(resolution.Addresses.Select(a => (JsonNode?)a.ToString()).ToArray()),
            ["ports"] = new JsonArray(resolution.Ports.Select(p => (JsonNode?)p).ToArray()),
            ["ttl_seconds"] = resolution.Ttl.TotalSeconds,
            ["allowed_for_seconds"] = resolution.Lifetime.TotalSeconds,
            ["stage"] = resolution.Stage,
            ["execution_id"] = resolution.ExecutionId,
        };
        Audit(resolution.SandboxId, "network.allowed_resolution", payload, resolution.Time);
    }

    /// <summary>Request-scoped choices that widen a sandbox's reach are audited too.</summary>
    public void AllowAllGranted(string sandboxId) =>
        Audit(sandboxId, "network.allow_all", new JsonObject { ["message"] = "--dangerously-allow-all: egress unrestricted" }, DateTimeOffset.UtcNow);

    /// <summary>Onto the sandbox's event stream and into the audit log (the host gateway records its requests here too).</summary>
    internal void Record(string sandboxId, string type, JsonObject payload, DateTimeOffset time)
    {
        Audit(sandboxId, type, payload, time);
        try
        {
            control()?.RecordEvent(sandboxId, type, payload.ToJsonString());
        }
        catch (Exception e) when (e is Cleanroom.Errors.CleanroomException or ObjectDisposedException)
        {
            // The sandbox is gone (or the server is stopping): the audit log still has the event.
            logger.LogDebug(e, "egress event for {SandboxId} not recorded on its stream", sandboxId);
        }
    }

    private void Audit(string sandboxId, string type, JsonObject payload, DateTimeOffset time)
    {
        var line = new JsonObject { ["time"] = time.ToString("O"), ["sandbox_id"] = sandboxId, ["type"] = type };
        foreach (var (key, value) in payload)
        {
            line[key] = value?.DeepClone();
        }

        lock (_gate)
        {
            try
            {
                _audit ??= OpenAudit();
                _audit.WriteLine(line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            }
            catch (IOException e)
            {
                logger.LogError(e, "cannot write the egress audit log {Path}", auditLogPath);
            }
        }
    }

    private StreamWriter OpenAudit()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(auditLogPath)!);
        return new StreamWriter(new FileStream(auditLogPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _audit?.Dispose();
            _audit = null;
        }
    }
}
