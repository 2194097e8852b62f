using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Cleanroom.Network.Tests;

/// <summary>
/// An "upstream" resolver for tests (ARSoft's DnsServer): fixed A records with chosen TTLs, NXDOMAIN for
/// anything else, and a count of questions so a test can tell whether the policy resolver forwarded.
/// Constructed inside an upstream host's namespace, so its sockets live there.
/// </summary>
internal sealed class TestDnsServer : IDisposable
{
    private readonly DnsServer _server;
    private readonly IReadOnlyDictionary<string, (IPAddress Address, int Ttl)> _records;
    private int _questions;

    public TestDnsServer(IPAddress address, IReadOnlyDictionary<string, (IPAddress Address, int Ttl)> records)
    {
        _records = records;
        var endpoint = new IPEndPoint(address, 53);
        _server = new DnsServer([new UdpServerTransport(endpoint, 5000), new TcpServerTransport(endpoint, 5000, 10000)]);
        _server.QueryReceived += (_, e) =>
        {
            Interlocked.Increment(ref _questions);
            var query = (DnsMessage)e.Query;
            var response = query.CreateResponseInstance();
            var question = query.Questions[0];
            var name = question.Name.ToString().TrimEnd('.');
            if (_records.TryGetValue(name, out var record))
            {
                if (question.RecordType == RecordType.A)
                    response.AnswerRecords.Add(new ARecord(question.Name, record.Ttl, record.Address));
            }
            else
                response.ReturnCode = ReturnCode.NxDomain;
            e.Response = response;
            return Task.CompletedTask;
        };
        _server.Start();
    }

    public int Questions => Volatile.Read(ref _questions);

    public void Dispose() => _server.Stop();
}
