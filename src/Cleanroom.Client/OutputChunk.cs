namespace Cleanroom.Client;

/// <summary>Which of the workload's output streams a chunk came from.</summary>
public enum OutputStreamKind
{
    /// <summary>Standard output.</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,
}

/// <summary>A piece of a workload's output, in the order the workload wrote it.</summary>
/// <param name="Stream">stdout or stderr.</param>
/// <param name="Data">The bytes. Valid until the next chunk is read; copy them to keep them.</param>
public readonly record struct OutputChunk(OutputStreamKind Stream, ReadOnlyMemory<byte> Data);
