using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// Copies one of a command's outputs (stdout pipe, stderr pipe, or pty master) into frames on a
/// thread of its own. It reads only as much as the channel's credit allows, so a slow host slows
/// the command instead of growing the agent's memory.
/// </summary>
internal sealed class OutputPump
{
    /// <summary>
    /// After the command has exited, a background process it left behind may keep the pipe open for
    /// ever (`daemon &`). The pump keeps forwarding while output flows, and gives up after this much
    /// silence, so the execution still ends.
    /// </summary>
    public static readonly TimeSpan LingerAfterExit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Up to this much per read and per frame. Bigger than a pipe's default 64 KiB: when the host is the slower
    /// side, output collects in the (grown) pipe and leaves in few large frames instead of many small ones.
    /// </summary>
    private const int ReadSize = 256 * 1024;

    /// <summary>
    /// Once a command has written this much, a read that drained the pipe is followed by a pause of
    /// <see cref="BatchPause"/> before the next one, so bulk output leaves in frames of what collected meanwhile
    /// instead of one frame per write of the command (8 KiB for <c>head</c> or <c>cat</c>). Under gVisor's ptrace
    /// platform every system call costs a round trip through the sentry; reading each small write as it lands
    /// cost as much as writing it, and every frame costs the host a wake-up. The first bytes, and all output of
    /// commands that print less, still leave at once.
    /// </summary>
    private const long BatchAfterBytes = 1 << 20;

    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(4);

    private readonly SafeFileHandle _source;
    private readonly FrameType _frameType;
    private readonly uint _channel;
    private readonly OutboundFrames _outbound;
    private readonly CreditWindow _credit;
    private readonly WakeSignal _stop;
    private readonly WakeSignal _exited;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly bool _nonBlockingSource;

    public OutputPump(SafeFileHandle source, FrameType frameType, uint channel, OutboundFrames outbound,
        CreditWindow credit, WakeSignal stop, WakeSignal exited, bool nonBlockingSource)
    {
        _nonBlockingSource = nonBlockingSource;
        _source = source;
        _frameType = frameType;
        _channel = channel;
        _outbound = outbound;
        _credit = credit;
        _stop = stop;
        _exited = exited;
    }

    public Task Completion => _completion.Task;

    public void Start() => new Thread(Run) { IsBackground = true, Name = $"{_frameType}-{_channel}" }.Start();

    private void Run()
    {
        var buffer = new byte[ReadSize];
        var moreLikely = false;
        long forwarded = 0;
        try
        {
            // Wait for data first and take credit second: stdout and stderr share the window, and a pump
            // holding credit while waiting for data could starve the other one. After a read that filled the
            // buffer there is probably more: a non-blocking source is read again at once (EAGAIN brings the
            // poll back), which saves a system call per frame while output streams.
            while ((moreLikely && _nonBlockingSource) || WaitReadable())
            {
                var allowed = _credit.Take(buffer.Length);
                if (allowed == 0)
                    break;
                int read;
                try
                {
                    read = FileDescriptors.Read(_source, buffer.AsSpan(0, allowed));
                }
                catch (UnixException e) when (e.Errno == Errno.EAGAIN)
                {
                    _credit.Return(allowed);
                    moreLikely = false;
                    continue;
                }
                catch (UnixException e) when (e.Errno == Errno.EIO)
                {
                    read = 0; // a pty master reports EIO once every holder of the slave side has closed it
                }
                _credit.Return(allowed - read);
                moreLikely = read == buffer.Length;
                if (read == 0 || !_outbound.Send(_frameType, _channel, buffer.AsSpan(0, read)))
                    break;
                forwarded += read;
                if (!moreLikely && forwarded >= BatchAfterBytes && _nonBlockingSource)
                    Thread.Sleep(BatchPause);
            }
        }
        catch (Exception e) when (e is UnixException or ObjectDisposedException)
        {
            AgentLog.Debug($"{_frameType} pump of channel {_channel} stopped: {e.Message}");
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    private bool WaitReadable()
    {
        if (!_exited.IsSet)
        {
            var ready = FileDescriptors.Poll([_source, _stop.Handle, _exited.Handle],
                [LibC.POLLIN, LibC.POLLIN, LibC.POLLIN], -1);
            if (ready != 2)
                return ready == 0;
        }
        return FileDescriptors.Poll([_source, _stop.Handle], [LibC.POLLIN, LibC.POLLIN],
            (int)LingerAfterExit.TotalMilliseconds) == 0;
    }
}
