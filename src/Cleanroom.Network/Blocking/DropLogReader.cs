using Microsoft.Extensions.Logging;

namespace Cleanroom.Network;

/// <summary>
/// Reads the NFLOG group on a dedicated thread (the receive blocks in the kernel; a pool thread would
/// be held for the server's lifetime) and hands each logged packet to <paramref name="onDropped"/>.
/// </summary>
internal sealed class DropLogReader : IDisposable
{
    private readonly NflogSocket _socket;
    private readonly Action<DroppedPacket> _onDropped;
    private readonly ILogger _logger;
    private readonly Thread _thread;

    private DropLogReader(NflogSocket socket, Action<DroppedPacket> onDropped, ILogger logger)
    {
        _socket = socket;
        _onDropped = onDropped;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "cleanroom-nflog" };
    }

    public static DropLogReader Start(ushort group, Action<DroppedPacket> onDropped, ILogger logger)
    {
        var reader = new DropLogReader(NflogSocket.Open(group), onDropped, logger);
        reader._thread.Start();
        return reader;
    }

    public void Dispose()
    {
        _socket.Wake();
        _thread.Join();
        _socket.Dispose();
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int length;
            try
            {
                length = _socket.Receive(buffer);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "the NFLOG reader failed; blocked connections are no longer reported");
                return;
            }
            if (length == 0)
                return;
            if (length < 0)
            {
                _logger.LogWarning("the NFLOG receive queue overflowed; some blocked connections were not reported");
                continue;
            }
            foreach (var message in NflogMessages.Messages(buffer.AsMemory(0, length)))
            {
                if (NflogMessages.ParsePacket(message.Span) is not { } packet)
                    continue;
                try
                {
                    _onDropped(packet);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "reporting a blocked connection failed");
                }
            }
        }
    }
}
