using System.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Network;

/// <summary>
/// The DNS server one sandbox talks to, on the host end of its link, port 53, UDP and TCP (ARSoft's
/// DnsServer does the wire format). A questions for allowed names are forwarded and their addresses
/// opened in the sandbox's allow set before the answer is sent, so the sandbox's first connect after a
/// lookup never races the firewall. AAAA and every other type for an allowed name get an empty NOERROR
/// (IPv6 is off; nothing else can open a destination). Names the stage does not allow get NXDOMAIN:
/// stub resolvers give up on it at once, where REFUSED makes them retry and try other servers.
/// </summary>
internal sealed class PolicyResolver : IAsyncDisposable
{
    private const int TransportTimeoutMilliseconds = 5000;
    private const int TcpKeepAliveMilliseconds = 10000;

    private readonly SandboxNetwork _network;
    private readonly UpstreamResolver _upstream;
    private readonly ILogger _logger;
    private readonly DnsServer _server;
    private readonly IServerTransport[] _transports;
    private readonly CancellationTokenSource _stopping = new();

    public PolicyResolver(SandboxNetwork network, UpstreamResolver upstream, ILogger logger)
    {
        _network = network;
        _upstream = upstream;
        _logger = logger;
        var endpoint = network.ResolverEndpoint;
        _transports = [
            new UdpServerTransport(endpoint, TransportTimeoutMilliseconds),
            new TcpServerTransport(endpoint, TransportTimeoutMilliseconds, TcpKeepAliveMilliseconds),
        ];
        _server = new DnsServer(_transports);
        _server.QueryReceived += OnQueryReceivedAsync;
        _server.ExceptionThrown += (_, e) =>
        {
            _logger.LogWarning(e.Exception, "policy resolver for {Sandbox} failed a query", _network.SandboxId);
            return Task.CompletedTask;
        };
    }

    /// <summary>Binds UDP and TCP port 53 on the host end; throws when the address cannot be bound.</summary>
    public void Start() => _server.Start();

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        try
        {
            _server.Stop();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OperationCanceledException))
        {
            // ARSoft's Stop rethrows the cancellation of its own accept loops; that is the stop succeeding.
        }
        // Stop leaves the listening sockets open; close them so the address can be bound again (adoption).
        foreach (var transport in _transports)
        {
            transport.Close();
            (transport as IDisposable)?.Dispose();
        }
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
            return;
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = true;
        e.Response = response;

        // Only the sandbox itself may use its resolver: anti-spoofing guarantees the source on the
        // sandbox link, and nothing on the host should be able to open destinations for it.
        if (!e.RemoteEndpoint.Address.Equals(_network.SandboxAddress))
        {
            response.ReturnCode = ReturnCode.Refused;
            return;
        }
        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return;
        }

        var question = query.Questions[0];
        var name = ActiveRules.Normalize(question.Name.ToString());
        if (question.RecordClass != RecordClass.INet || _network.Rules.PortsFor(name) is null)
        {
            response.ReturnCode = ReturnCode.NxDomain;
            _network.ReportRefused(name, question.RecordType.ToString());
            return;
        }
        if (question.RecordType != RecordType.A)
            return; // NOERROR, no records.

        try
        {
            await AnswerAsync(response, name).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            response.ReturnCode = ReturnCode.ServerFailure;
        }
        catch (Exception ex)
        {
            // Fail closed: when the addresses could not be opened, the sandbox gets no addresses either.
            _logger.LogWarning(ex, "opening {Name} for {Sandbox} failed", name, _network.SandboxId);
            response.ReturnCode = ReturnCode.ServerFailure;
            response.AnswerRecords.Clear();
        }
    }

    private async Task AnswerAsync(DnsMessage response, string name)
    {
        var answer = await _upstream.ResolveAsync(name, _stopping.Token).ConfigureAwait(false);
        if (answer.ReturnCode is not { } code)
        {
            response.ReturnCode = ReturnCode.ServerFailure;
            return;
        }
        response.ReturnCode = code;
        if (code != ReturnCode.NoError || answer.Addresses.IsEmpty)
            return;

        var opened = await _network.OpenAnsweredAsync(name, answer, _stopping.Token).ConfigureAwait(false);
        if (!opened)
        {
            // The stage changed while upstream was answering and no longer allows the name.
            response.ReturnCode = ReturnCode.NxDomain;
            _network.ReportRefused(name, RecordType.A.ToString());
            return;
        }
        var ttl = (int)Math.Min(answer.Ttl.TotalSeconds, _network.MaximumLifetime.TotalSeconds);
        foreach (var record in answer.Records)
            response.AnswerRecords.Add(record is ARecord a ? new ARecord(a.Name, Math.Min(a.TimeToLive, ttl), a.Address) : record);
    }
}
