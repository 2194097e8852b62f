namespace Cleanroom.ControlPlane;

/// <summary>Event types the control plane writes. Other components may add their own (e.g. <c>network.blocked</c>).</summary>
public static class SandboxEventTypes
{
    /// <summary>Payload: <c>{"status", "previous"?, "message"?, "code"?}</c>.</summary>
    public const string SandboxStatus = "sandbox.status";

    /// <summary>Payload: <c>{"execution_id", "status", "exit_code"?, "signal"?, "message"?}</c>.</summary>
    public const string ExecutionStatus = "execution.status";

    /// <summary>Payload: <c>{"outcome", "message"}</c>; outcome is one of the <see cref="ReconcileOutcomes"/>.</summary>
    public const string Reconciled = "sandbox.reconciled";

    /// <summary>
    /// Payload: <c>{"stage", "block"?, "state", "duration_ms"?, "exit_code"?, "message"}</c>: setup at create going through the
    /// policy's stages (dependencies, services) and their blocks; state is started, succeeded or failed.
    /// </summary>
    public const string Stage = "sandbox.stage";

    /// <summary>Payload: <c>{"message"}</c>.</summary>
    public const string Message = "message";

    /// <summary>Payload: <c>{"address", "host"?, "port", "protocol", "reason", "stage", "execution_id"?}</c>: egress the policy denied.</summary>
    public const string NetworkBlocked = "network.blocked";

    /// <summary>
    /// Payload: <c>{"service", "method", "host"?, "port"?, "path"?, "action", "reason", "status", "bytes_in", "bytes_out",
    /// "credential", "mirror"?, "cache"?, "execution_id"?}</c>: one request to the host gateway, allowed or denied. <c>credential</c>
    /// says whether the gateway added the host's credential upstream (true/false), never what it is; <c>mirror</c> is
    /// <c>hit</c> or <c>miss</c> when a fetch was served from the host's repository mirror; <c>cache</c> is <c>hit</c>,
    /// <c>miss</c> or <c>stale</c> for the registry routes' package cache.
    /// </summary>
    public const string GatewayRequest = "gateway.request";

    /// <summary>Payload: <c>{"name", "query_type", "reason", "execution_id"?}</c>: a DNS name the policy does not allow.</summary>
    public const string DnsRefused = "network.dns_refused";

    /// <summary>
    /// Payload: <c>{"stage", "image", "message", "bytes_done"?, "bytes_total"?, "layers_done"?, "layers_total"?}</c>:
    /// how pulling the sandbox's image goes while it is PROVISIONING; stage is started, layer, progress or finished.
    /// </summary>
    public const string ImagePull = "image.pull";

    /// <summary>
    /// Payload: <c>{"execution_id", "limit_bytes", "used_bytes", "available_bytes", "message"}</c>: when the execution
    /// ended, the sandbox's disk was (nearly) full, so its writes may have failed with ENOSPC.
    /// </summary>
    public const string DiskFull = "sandbox.disk_full";

    /// <summary>A suspend that failed while the sandbox runs on (READY as before): <c>code</c> (suspend_failed), <c>message</c>.</summary>
    public const string SuspendFailed = "sandbox.suspend_failed";
}

/// <summary>What restart reconciliation did to a sandbox.</summary>
public static class ReconcileOutcomes
{
    public const string Readopted = "readopted";
    public const string Lost = "lost";
    public const string ProvisioningInterrupted = "provisioning_interrupted";
    public const string StopCompleted = "stop_completed";
}
