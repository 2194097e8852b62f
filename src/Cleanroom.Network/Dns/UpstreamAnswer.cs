using System.Collections.Immutable;
using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Cleanroom.Network;

/// <summary>
/// The upstream's answer to an A question: its return code, the records to hand back (CNAMEs and As),
/// the A addresses and their smallest TTL. Null <see cref="ReturnCode"/> means the upstream did not answer.
/// </summary>
internal sealed record UpstreamAnswer(ReturnCode? ReturnCode, ImmutableArray<DnsRecordBase> Records, ImmutableArray<IPAddress> Addresses, TimeSpan Ttl)
{
    public static UpstreamAnswer NoAnswer { get; } = new(null, [], [], TimeSpan.Zero);
}
