namespace Cleanroom.Agent.Protocol;

/// <summary>
/// The peer sent bytes that are not a valid frame or payload. After a framing error (oversized or
/// truncated frame) the stream cannot be resynchronised, so the connection must be closed.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message) : base(message) { }
}
