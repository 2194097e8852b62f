using System.Collections.Immutable;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Network;

/// <summary>
/// The forwarding leg of the policy resolver: <c>network.dns.hosts</c> first (answered here, never
/// forwarded), then the upstream resolver through ARSoft's DnsClient (UDP, retried over TCP when truncated).
/// Only A questions come here; the policy resolver has already decided the name is allowed.
/// </summary>
internal sealed class UpstreamResolver : IDisposable
{
    private readonly ImmutableDictionary<string, IPAddress> _staticHosts;
    private readonly TimeSpan _staticTtl;
    private readonly DnsClient? _client;
    private readonly ILogger _logger;

    public UpstreamResolver(NetworkOptions options, IPEndPoint? upstream, ILogger logger)
    {
        _staticHosts = options.DnsHosts.ToImmutableDictionary(
            kv => ActiveRules.Normalize(kv.Key), kv => IPAddress.Parse(kv.Value), StringComparer.Ordinal);
        _staticTtl = options.StaticHostTtl;
        _logger = logger;
        if (upstream is not null)
            _client = new DnsClient([upstream.Address],
                [new UdpClientTransport(upstream.Port), new TcpClientTransport(upstream.Port)],
                disposeTransport: true, queryTimeout: (int)options.UpstreamTimeout.TotalMilliseconds);
    }

    public async Task<UpstreamAnswer> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (_staticHosts.TryGetValue(ActiveRules.Normalize(name), out var address))
        {
            var ttl = (int)_staticTtl.TotalSeconds;
            return new UpstreamAnswer(ReturnCode.NoError, [new ARecord(DomainName.Parse(name), ttl, address)], [address], _staticTtl);
        }
        if (_client is null)
        {
            _logger.LogWarning("no upstream resolver is configured (network.dns.upstream, /etc/resolv.conf); {Name} gets SERVFAIL", name);
            return UpstreamAnswer.NoAnswer;
        }

        DnsMessage? response;
        try
        {
            response = await _client.ResolveAsync(DomainName.Parse(name), RecordType.A, RecordClass.INet,
                new DnsQueryOptions { IsRecursionDesired = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "forwarding {Name} upstream failed", name);
            return UpstreamAnswer.NoAnswer;
        }
        if (response is null)
            return UpstreamAnswer.NoAnswer;

        // Only the chain that answers the question is handed back: CNAMEs and As. Authority and
        // additional sections would only carry other names the sandbox is not allowed to use.
        var records = response.AnswerRecords.Where(r => r is CNameRecord or ARecord).ToImmutableArray();
        var addresses = records.OfType<ARecord>().Select(r => r.Address).Distinct().ToImmutableArray();
        var minimumTtl = records.OfType<ARecord>().Select(r => r.TimeToLive).DefaultIfEmpty(0).Min();
        return new UpstreamAnswer(response.ReturnCode, records, addresses, TimeSpan.FromSeconds(Math.Max(0, minimumTtl)));
    }

    public void Dispose() => (_client as IDisposable)?.Dispose();
}
