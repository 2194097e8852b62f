using System.Net;
using Cleanroom.Api.Addressing;

namespace Cleanroom.Api.Transport;

/// <summary>Which HTTP version a sniffed connection speaks, and so which Kestrel endpoint serves it.</summary>
internal enum ConnectionLane
{
    Http1,
    Http2,
    /// <summary>Every connection of an https address: TLS's ALPN, not sniffing, picks the HTTP version.</summary>
    Tls,
}

/// <summary>
/// A logical Kestrel endpoint: one lane of one real listening socket. Kestrel binds two of these per address, one
/// configured HTTP/1.1-only and one HTTP/2-only, and <see cref="SniffingTransportFactory"/> feeds each the
/// connections that belong to it. The type exists so that only our factory claims these endpoints.
/// </summary>
internal sealed class LaneEndPoint(ApiAddress address, ConnectionLane lane) : EndPoint
{
    public ApiAddress Address { get; } = address;
    public ConnectionLane Lane { get; } = lane;

    public override bool Equals(object? obj) => obj is LaneEndPoint other && other.Address == Address && other.Lane == Lane;
    public override int GetHashCode() => HashCode.Combine(Address, Lane);
    public override string ToString() => $"{Address} [{Lane switch { ConnectionLane.Http1 => "HTTP/1.1", ConnectionLane.Http2 => "HTTP/2", _ => "TLS" }}]";
}
