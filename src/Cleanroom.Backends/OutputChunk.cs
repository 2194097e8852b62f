namespace Cleanroom.Backends;

/// <summary>Which of the workload's output streams a chunk came from.</summary>
public enum OutputStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// A piece of output. The backend must not reuse <paramref name="Data"/>'s memory after writing the chunk,
/// because the control plane keeps it until it is stored.
/// </summary>
public sealed record OutputChunk(OutputStream Stream, ReadOnlyMemory<byte> Data);
