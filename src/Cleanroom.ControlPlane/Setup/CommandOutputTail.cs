using System.Text;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// The last bytes a setup command wrote (stdout and stderr interleaved as written), kept for the failure message:
/// a failed <c>npm ci</c> says why in its last lines, and a chatty one must not grow the server's memory.
/// </summary>
internal sealed class CommandOutputTail(int limit = 4096)
{
    private readonly Queue<byte> _bytes = new();

    public void Add(OutputChunk chunk)
    {
        foreach (var b in chunk.Data.Span)
        {
            _bytes.Enqueue(b);
            if (_bytes.Count > limit)
                _bytes.Dequeue();
        }
    }

    public override string ToString() => Encoding.UTF8.GetString(_bytes.ToArray()).TrimEnd();
}
