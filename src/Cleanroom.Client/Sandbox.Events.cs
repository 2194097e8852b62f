using System.Runtime.CompilerServices;
using Cleanroom.Api.V1;

namespace Cleanroom.Client;

public sealed partial class Sandbox
{
    /// <summary>
    /// The sandbox's events from its creation on: status changes, executions, and egress the policy denied
    /// (<see cref="SandboxActivity.Blocked"/>). With <paramref name="follow"/> it goes on with new events until the
    /// sandbox is STOPPED or FAILED; without, it ends with the events recorded so far.
    /// </summary>
    public async IAsyncEnumerable<SandboxActivity> EventsAsync(bool follow = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _client.Sandboxes.StreamSandboxEvents(new StreamSandboxEventsRequest { SandboxId = Id, Follow = follow },
            cancellationToken: cancellationToken);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            yield return SandboxActivity.From(call.ResponseStream.Current);
    }
}

/// <summary>One event of a sandbox.</summary>
/// <param name="Type">What kind: <c>sandbox.status</c>, <c>execution.status</c>, <c>network.blocked</c>, <c>network.dns_refused</c>, ...</param>
/// <param name="Status">The sandbox's status at the event.</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="ErrorCode">The stable code when the event reports a failure; else null.</param>
/// <param name="Blocked">The denied connection or DNS name when the event reports blocked egress; else null.</param>
public sealed record SandboxActivity(
    string Type,
    SandboxStatus Status,
    string Message,
    DateTimeOffset OccurredAt,
    string? ErrorCode,
    BlockedEgress? Blocked)
{
    internal static SandboxActivity From(SandboxEvent e) => new(
        e.Type, e.Status, e.Message,
        e.OccurredAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue,
        string.IsNullOrEmpty(e.Error?.Code) ? null : e.Error.Code,
        e.BlockedConnection is { } b
            ? new BlockedEgress(b.Host, b.Port, b.Protocol, b.Reason, b.Address, b.Stage,
                string.IsNullOrEmpty(b.ExecutionId) ? null : b.ExecutionId)
            : null);
}

/// <summary>Egress the sandbox's policy denied.</summary>
/// <param name="Host">The DNS name asked for, or the address when no name is known.</param>
/// <param name="Port">The destination port (0 for a refused DNS name).</param>
/// <param name="Protocol"><c>tcp</c> or <c>udp</c>.</param>
/// <param name="Reason">A stable code: <c>host_not_allowed</c>, <c>registry_not_allowed</c>, ...</param>
/// <param name="Address">The destination address.</param>
/// <param name="Stage">The policy stage whose rules applied: repository, dependencies, services or execution.</param>
/// <param name="ExecutionId">The execution that was running, when exactly one was.</param>
public sealed record BlockedEgress(string Host, int Port, string Protocol, string Reason, string Address, string Stage, string? ExecutionId);
