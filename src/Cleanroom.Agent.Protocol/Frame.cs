namespace Cleanroom.Agent.Protocol;

/// <summary>One decoded frame. The payload is owned by the frame (a fresh array per frame).</summary>
public readonly record struct Frame(FrameType Type, uint Channel, ReadOnlyMemory<byte> Payload)
{
    public static Frame Empty(FrameType type, uint channel) => new(type, channel, ReadOnlyMemory<byte>.Empty);

    public override string ToString() => $"{Type} ch={Channel} len={Payload.Length}";
}
