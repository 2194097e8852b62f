using System.Net.Sockets;

namespace Cleanroom.Api.Transport;

/// <summary>
/// Decides a fresh connection's lane by peeking (MSG_PEEK, nothing consumed) at its first bytes: an HTTP/2
/// prior-knowledge client starts with the fixed connection preface, anything else is HTTP/1.x. Kestrel then reads
/// the socket itself from byte zero, so no byte is copied or replayed.
/// </summary>
internal static class Http2PrefaceSniffer
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    internal enum Verdict { Http1, Http2, NeedMore }

    /// <summary>Classifies what has arrived so far; NeedMore while it is a strict prefix of the preface.</summary>
    internal static Verdict Classify(ReadOnlySpan<byte> received)
    {
        var length = Math.Min(received.Length, Preface.Length);
        if (!received[..length].SequenceEqual(Preface[..length])) return Verdict.Http1;
        return length == Preface.Length ? Verdict.Http2 : Verdict.NeedMore;
    }

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until the client has said enough to tell; null when it closed or
    /// stayed silent, and the caller drops the connection.
    /// </summary>
    public static async Task<ConnectionLane?> SniffAsync(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var buffer = new byte[Preface.Length];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var backoff = TimeSpan.FromMilliseconds(1);
        try
        {
            while (true)
            {
                // A peeking receive completes when data is readable, without consuming it.
                var received = await socket.ReceiveAsync(buffer, SocketFlags.Peek, deadline.Token).ConfigureAwait(false);
                if (received == 0) return null;
                switch (Classify(buffer.AsSpan(0, received)))
                {
                    case Verdict.Http1: return ConnectionLane.Http1;
                    case Verdict.Http2: return ConnectionLane.Http2;
                }
                // A client that split the preface: bytes already pending keep the socket readable, so another
                // peek would return at once. This rare path re-peeks on a short, growing interval until the deadline.
                await Task.Delay(backoff, deadline.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 50));
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
