using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Tests;

public class ProtocolRoundTripTests
{
    [Fact]
    public void Start_message_survives_encode_and_decode()
    {
        var start = new StartMessage(["sh", "-c", "echo ü"], ["A=1", "B="], "/tmp", "1000:100", Tty: true, Stdin: true, 40, 120, 65536);

        var decoded = StartMessage.Decode(start.Encode());

        Assert.Equal(start.Argv, decoded.Argv);
        Assert.Equal(start.Environment, decoded.Environment);
        Assert.Equal(start with { Argv = decoded.Argv, Environment = decoded.Environment }, decoded);
    }

    [Fact]
    public void Hello_reply_survives_encode_and_decode()
    {
        var reply = new HelloReplyMessage(1, "0.1.0", ProtocolConstants.MaxPayloadSize, true, ["exec", "tty"]);

        var decoded = HelloReplyMessage.Decode(reply.Encode());

        Assert.Equal(reply.Capabilities, decoded.Capabilities);
        Assert.Equal(reply with { Capabilities = decoded.Capabilities }, decoded);
    }

    [Fact]
    public void Small_messages_survive_encode_and_decode()
    {
        Assert.Equal(new HelloMessage(1, "host"), HelloMessage.Decode(new HelloMessage(1, "host").Encode()));
        Assert.Equal(new StartedMessage(4242, 1024), StartedMessage.Decode(new StartedMessage(4242, 1024).Encode()));
        Assert.Equal(new ExitMessage(137, 9), ExitMessage.Decode(new ExitMessage(137, 9).Encode()));
        Assert.Equal(new ExitMessage(-1, 0), ExitMessage.Decode(new ExitMessage(-1, 0).Encode()));
        Assert.Equal(new ErrorMessage("command_not_found", "command not found: x", 127), ErrorMessage.Decode(new ErrorMessage("command_not_found", "command not found: x", 127).Encode()));
        Assert.Equal(new SignalMessage(15), SignalMessage.Decode(new SignalMessage(15).Encode()));
        Assert.Equal(new ResizeMessage(50, 200), ResizeMessage.Decode(new ResizeMessage(50, 200).Encode()));
        Assert.Equal(new CancelMessage(5000), CancelMessage.Decode(new CancelMessage(5000).Encode()));
        Assert.Equal(new CreditMessage(uint.MaxValue), CreditMessage.Decode(new CreditMessage(uint.MaxValue).Encode()));
        Assert.Equal(new PingMessage(ulong.MaxValue), PingMessage.Decode(new PingMessage(ulong.MaxValue).Encode()));
        Assert.Equal(new ShutdownMessage(0), ShutdownMessage.Decode(new ShutdownMessage(0).Encode()));
        Assert.Equal(new FileReadMessage("/etc/hostname", 1 << 20), FileReadMessage.Decode(new FileReadMessage("/etc/hostname", 1 << 20).Encode()));
        Assert.Equal(new FileWriteMessage("/tmp/x", 0x1ed), FileWriteMessage.Decode(new FileWriteMessage("/tmp/x", 0x1ed).Encode()));
        Assert.Equal(new FileWrittenMessage(12345678901), FileWrittenMessage.Decode(new FileWrittenMessage(12345678901).Encode()));
    }

    [Fact]
    public void Frame_header_is_type_then_big_endian_channel_and_length()
    {
        var bytes = FrameCodec.Encode(FrameType.Stdout, 0x01020304, [0xAA, 0xBB]);

        Assert.Equal(new byte[] { 0x19, 1, 2, 3, 4, 0, 0, 0, 2, 0xAA, 0xBB }, bytes);
    }

    [Fact]
    public void Frames_written_by_the_writer_are_read_back_in_order()
    {
        var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        writer.Write(FrameType.Stdout, 7, [1, 2, 3]);
        writer.Write(FrameType.StdinClose, 8, []);
        writer.Write(FrameType.Exit, 7, new ExitMessage(0, 0).Encode());
        stream.Position = 0;
        var reader = new FrameReader(stream);

        Assert.Equal("Stdout 7 010203", Describe(reader.Read()));
        Assert.Equal("StdinClose 8 ", Describe(reader.Read()));
        Assert.Equal(FrameType.Exit, reader.Read()!.Value.Type);
        Assert.Null(reader.Read());
    }

    [Fact]
    public void A_small_frame_after_a_large_one_carries_only_its_own_bytes()
    {
        // The writer reuses one buffer: what a large frame left in it must never leak into a later, shorter one.
        var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        var large = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 251)).ToArray();
        writer.Write(FrameType.Stdout, 1, large);
        writer.Write(FrameType.Stderr, 2, [0xCC]);
        writer.Write(FrameType.Stdout, 3, large.AsSpan(0, 70_000));
        stream.Position = 0;
        var reader = new FrameReader(stream);

        Assert.Equal(large, reader.Read()!.Value.Payload.ToArray());
        Assert.Equal("Stderr 2 CC", Describe(reader.Read()));
        Assert.Equal(large.AsSpan(0, 70_000).ToArray(), reader.Read()!.Value.Payload.ToArray());
        Assert.Null(reader.Read());
        Assert.Equal(3 * ProtocolConstants.HeaderSize + 200_000 + 1 + 70_000, stream.Length);
    }

    [Fact]
    public void An_oversized_frame_is_refused_before_anything_is_written()
    {
        var stream = new MemoryStream();
        var writer = new FrameWriter(stream);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(FrameType.Stdout, 1, new byte[ProtocolConstants.MaxPayloadSize + 1]));
        Assert.Equal(0, stream.Length);
    }

    private static string Describe(Frame? frame) =>
        $"{frame!.Value.Type} {frame.Value.Channel} {Convert.ToHexString(frame.Value.Payload.Span)}";
}
