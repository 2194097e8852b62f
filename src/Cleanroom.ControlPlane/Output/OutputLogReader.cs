using System.Buffers.Binary;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Output;

/// <summary>
/// Reads an output log from the start, frame by frame, never past a limit the writer has committed.
/// Each follower has its own reader (its own file handle and position).
/// </summary>
internal sealed class OutputLogReader : IDisposable
{
    private readonly FileStream? _file;
    private readonly byte[] _header = new byte[OutputLogFormat.HeaderLength];
    private long _stdoutRead;
    private long _stderrRead;

    public OutputLogReader(string path)
    {
        // No file means no output was ever stored (e.g. the server died before the execution started).
        if (File.Exists(path))
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true);
    }

    /// <summary>The length of the file now; the limit for a log whose writer is gone.</summary>
    public long CurrentLength => _file?.Length ?? 0;

    /// <summary>The next item before <paramref name="limit"/>, or null when there is no whole frame left before it.</summary>
    public async Task<ExecutionStreamItem?> ReadNextAsync(long limit, CancellationToken cancellationToken)
    {
        if (_file is null || _file.Position + OutputLogFormat.HeaderLength > limit)
            return null;
        var start = _file.Position;
        await _file.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32LittleEndian(_header.AsSpan(1));
        if (length < 0 || _file.Position + length > limit)
        {
            // A frame cut short by a crash (or not yet committed): stop before it.
            _file.Position = start;
            return null;
        }
        var payload = new byte[length];
        await _file.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);

        var kind = _header[0];
        if (kind == OutputLogFormat.TruncatedKind)
        {
            var stream = OutputLogFormat.StreamOf(payload[0]);
            return new ExecutionOutputTruncated(stream, stream == OutputStream.Stdout ? _stdoutRead : _stderrRead);
        }
        var output = OutputLogFormat.StreamOf(kind);
        if (output == OutputStream.Stdout)
            _stdoutRead += length;
        else
            _stderrRead += length;
        return new ExecutionOutput(output, payload);
    }

    public void Dispose() => _file?.Dispose();
}
