using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Output;

/// <summary>
/// The on-disk form of an execution's output: <c>executions/&lt;id&gt;/output.log</c>, a sequence of frames
/// <c>[kind: 1 byte][length: 4 bytes little-endian][payload]</c>. One file for both streams keeps the
/// order in which the workload wrote them, so a replay interleaves stdout and stderr as they happened.
/// A frame cut short by a crash is ignored on read.
/// </summary>
internal static class OutputLogFormat
{
    public const int HeaderLength = 5;

    public const byte StdoutKind = 1;
    public const byte StderrKind = 2;
    /// <summary>Payload: one byte, the stream kind that reached its retention limit.</summary>
    public const byte TruncatedKind = 3;

    public static string PathFor(string stateDirectory, string executionId) =>
        Path.Combine(stateDirectory, "executions", executionId, "output.log");

    public static byte KindOf(OutputStream stream) => stream switch
    {
        OutputStream.Stdout => StdoutKind,
        OutputStream.Stderr => StderrKind,
        _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, null),
    };

    public static OutputStream StreamOf(byte kind) => kind switch
    {
        StdoutKind => OutputStream.Stdout,
        StderrKind => OutputStream.Stderr,
        _ => throw new InvalidDataException($"output log frame kind {kind} is not a stream"),
    };
}
