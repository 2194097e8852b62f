using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// One item of StreamExecution: output in the order it was written, at most one truncation marker per
/// stream, and finally exactly one <see cref="ExecutionExited"/>.
/// </summary>
public abstract record ExecutionStreamItem;

/// <summary>A chunk of retained output.</summary>
public sealed record ExecutionOutput(OutputStream Stream, ReadOnlyMemory<byte> Data) : ExecutionStreamItem;

/// <summary>
/// The stream passed its retention limit here: the first <paramref name="RetainedBytes"/> bytes were kept,
/// nothing after. The total written is in the final <see cref="ExecutionExited"/>'s execution record.
/// </summary>
public sealed record ExecutionOutputTruncated(OutputStream Stream, long RetainedBytes) : ExecutionStreamItem;

/// <summary>The execution ended; the record has its final status, exit code and output byte counts.</summary>
public sealed record ExecutionExited(Execution Execution) : ExecutionStreamItem;
