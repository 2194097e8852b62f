using System.Collections.Immutable;
using System.Net;

namespace Cleanroom.Network;

/// <summary>The reason every egress refusal carries: the stable error code of a destination the policy does not allow.</summary>
public static class EgressReasons
{
    public const string HostNotAllowed = Cleanroom.Errors.ErrorCode.HostNotAllowed;
}

/// <summary>
/// A dropped connection attempt. <see cref="HostName"/> is the name the sandbox's resolver last answered
/// with <see cref="Address"/>, when there was one; <see cref="Stage"/> the stage active when it was reported. <see cref="Port"/> is 0 for protocols without ports.
/// </summary>
public sealed record BlockedConnection(
    string SandboxId, string Stage, string? ExecutionId, IPAddress Address, string? HostName, int Port, string Protocol, string Reason, DateTimeOffset Time);

/// <summary>A DNS question for a name the active stage does not allow (answered NXDOMAIN).</summary>
public sealed record HostNotAllowed(string SandboxId, string Stage, string? ExecutionId, string Name, string QueryType, string Reason, DateTimeOffset Time);

/// <summary>An allowed name's answer: these addresses are open on these ports for <see cref="Lifetime"/>.</summary>
public sealed record AllowedResolution(
    string SandboxId, string Stage, string? ExecutionId, string Name, ImmutableArray<IPAddress> Addresses, ImmutableArray<int> Ports, TimeSpan Ttl, TimeSpan Lifetime, DateTimeOffset Time);
