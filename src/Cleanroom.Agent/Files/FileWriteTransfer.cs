using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Receives a file from the host: FileWrite opens it, FileData frames are written as they arrive (on
/// the frame reader's thread: a local disk write is short, and not reading further frames meanwhile is
/// the flow control), FileEnd closes it and answers FileWritten. The file is written to a temporary
/// name beside the target and renamed at the end, so a reader never sees half a file.
/// After a failure the rest of the transfer's frames are ignored and one Error is sent.
/// </summary>
internal sealed class FileWriteTransfer : IDisposable
{
    private readonly uint _channel;
    private readonly FileWriteMessage _request;
    private readonly OutboundFrames _outbound;
    private readonly string _temporaryPath;
    private FileStream? _file;
    private ulong _written;

    public FileWriteTransfer(uint channel, FileWriteMessage request, OutboundFrames outbound)
    {
        _channel = channel;
        _request = request;
        _outbound = outbound;
        _temporaryPath = $"{request.Path}.cleanroom-{Environment.ProcessId}-{channel}.tmp";
        if (GuestPath.Problem(request.Path) is { } problem)
        {
            Fail(new ErrorMessage(AgentErrorCodes.InvalidPath, problem, 0));
            return;
        }
        try
        {
            _file = new FileStream(_temporaryPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 0,
                UnixCreateMode = (UnixFileMode)(request.Mode & 0xfff),
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(FileErrors.Describe(request.Path, "write", e));
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_file is null)
            return;
        try
        {
            _file.Write(data);
            _written += (ulong)data.Length;
        }
        catch (IOException e)
        {
            Fail(FileErrors.Describe(_request.Path, "write", e));
        }
    }

    public void Complete()
    {
        if (_file is null)
            return;
        try
        {
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            _file = null;
            // The create mode went through the umask; the host asked for exactly these bits.
            File.SetUnixFileMode(_temporaryPath, (UnixFileMode)(_request.Mode & 0xfff));
            File.Move(_temporaryPath, _request.Path, overwrite: true);
            _outbound.Send(FrameType.FileWritten, _channel, new FileWrittenMessage(_written).Encode());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteTemporary();
            Fail(FileErrors.Describe(_request.Path, "write", e));
        }
    }

    private void Fail(ErrorMessage error)
    {
        Dispose();
        _outbound.Send(FrameType.Error, _channel, error.Encode());
    }

    /// <summary>Closes and removes the temporary file of an unfinished transfer.</summary>
    public void Dispose()
    {
        if (_file is null)
            return;
        _file.Dispose();
        _file = null;
        DeleteTemporary();
    }

    private void DeleteTemporary()
    {
        try
        {
            File.Delete(_temporaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AgentLog.Debug($"cannot remove {_temporaryPath}: {e.Message}");
        }
    }
}
