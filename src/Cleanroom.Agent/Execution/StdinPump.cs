using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// Feeds stdin frames into the command on a thread of its own, so a command that does not read its
/// stdin never blocks the agent's frame reader. The host may only send what the agent granted
/// (<see cref="InitialCredit"/> plus a grant per chunk written), so the queue stays bounded.
/// </summary>
internal sealed class StdinPump
{
    public const uint InitialCredit = 256 * 1024;

    /// <summary>VEOF of a terminal in canonical mode: ends the input line, or the input at the start of a line.</summary>
    private const byte EndOfFileCharacter = 0x04;

    private readonly SafeFileHandle _target;
    private readonly bool _terminal;
    private readonly uint _channel;
    private readonly OutboundFrames _outbound;
    private readonly WakeSignal _stop;
    private readonly ChunkQueue _queue = new();

    /// <param name="target">Non-blocking: the pipe to the command's stdin, or the pty master.</param>
    public StdinPump(SafeFileHandle target, bool terminal, uint channel, OutboundFrames outbound, WakeSignal stop)
    {
        _target = target;
        _terminal = terminal;
        _channel = channel;
        _outbound = outbound;
        _stop = stop;
    }

    public void Start() => new Thread(Run) { IsBackground = true, Name = $"stdin-{_channel}" }.Start();

    public void Enqueue(byte[] data) => _queue.Add(data);

    public void Close() => _queue.End();

    /// <summary>Wakes the thread so it notices the stop signal.</summary>
    public void Stop() => _queue.End();

    private void Run()
    {
        var broken = false; // the command closed its stdin: keep granting credit, drop the data
        var lastByte = (byte)'\n';
        try
        {
            while (_queue.Take() is { } chunk)
            {
                if (!broken)
                    broken = !WriteAll(chunk);
                if (chunk.Length > 0)
                    lastByte = chunk[^1];
                _outbound.Send(FrameType.StdinCredit, _channel, new CreditMessage((uint)chunk.Length).Encode());
            }
            if (_stop.IsSet || broken)
                return;
            if (_terminal)
            {
                // A pty has no "close" for one direction; EOF is a character. A partial line needs a
                // first ^D to end the line and a second one to read as end of input.
                WriteAll(lastByte == '\n' ? [EndOfFileCharacter] : [EndOfFileCharacter, EndOfFileCharacter]);
            }
        }
        catch (Exception e) when (e is UnixException or ObjectDisposedException)
        {
            AgentLog.Debug($"stdin of channel {_channel} stopped: {e.Message}");
        }
        finally
        {
            if (!_terminal)
                _target.Dispose(); // the command reads end of file
        }
    }

    /// <summary>False when the command no longer reads (EPIPE) or the execution stopped.</summary>
    private bool WriteAll(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var ready = FileDescriptors.Poll([_target, _stop.Handle], [LibC.POLLOUT, LibC.POLLIN], -1);
            if (ready != 0)
                return false;
            try
            {
                data = data[FileDescriptors.Write(_target, data)..];
            }
            catch (UnixException e) when (e.Errno is Errno.EPIPE or Errno.EIO)
            {
                return false;
            }
        }
        return true;
    }
}
