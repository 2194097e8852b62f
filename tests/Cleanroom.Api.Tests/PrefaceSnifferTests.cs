using System.Text;
using Cleanroom.Api.Transport;
using static Cleanroom.Api.Transport.Http2PrefaceSniffer;

namespace Cleanroom.Api.Tests;

/// <summary>The decision made on a connection's first bytes.</summary>
public sealed class PrefaceSnifferTests
{
    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "Http2")]
    [InlineData("POST /cleanroom.v1.SandboxService/ListSandboxes HTTP/1.1\r\n", "Http1")]
    [InlineData("GET / HTTP/1.0\r\n\r\n", "Http1")]
    [InlineData("PROPFIND / HTTP/1.1\r\n", "Http1")] // shares "PR" with the preface
    [InlineData("P", "NeedMore")]
    [InlineData("PRI * HTTP/2.0\r\n", "NeedMore")]
    [InlineData("\u0016\u0003\u0001", "Http1")] // a TLS ClientHello: HTTP/1.1 answers it with 400
    public void Classifies_the_first_bytes(string received, string expected) =>
        Assert.Equal(Enum.Parse<Verdict>(expected), Classify(Encoding.Latin1.GetBytes(received)));
}
