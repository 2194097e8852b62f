using System.Buffers.Binary;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using CsCheck;

namespace Cleanroom.Agent.Tests;

public class MalformedFrameTests
{
    [Fact]
    public void Oversized_frame_is_rejected_before_its_payload_is_allocated()
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        header[0] = (byte)FrameType.Stdout;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), ProtocolConstants.MaxPayloadSize + 1);

        var error = Assert.Throws<ProtocolException>(() => new FrameReader(new MemoryStream(header)).Read());

        Assert.Contains("maximum", error.Message);
    }

    [Fact]
    public void Stream_ending_inside_a_header_is_an_error_not_a_clean_end()
    {
        Assert.Throws<ProtocolException>(() => new FrameReader(new MemoryStream([0x19, 0, 0])).Read());
    }

    [Fact]
    public void Stream_ending_inside_a_payload_is_an_error()
    {
        var frame = FrameCodec.Encode(FrameType.Stdout, 1, new byte[100]);

        Assert.Throws<ProtocolException>(() => new FrameReader(new MemoryStream(frame[..50])).Read());
    }

    [Fact]
    public async Task Async_reader_rejects_truncation_too()
    {
        var frame = FrameCodec.Encode(FrameType.Stdout, 1, new byte[100]);

        await Assert.ThrowsAsync<ProtocolException>(async () => await new FrameReader(new MemoryStream(frame[..50])).ReadAsync());
    }

    [Fact]
    public void Unknown_frame_type_is_returned_for_the_caller_to_refuse()
    {
        var frame = new FrameReader(new MemoryStream(FrameCodec.Encode((FrameType)0x7E, 3, [9]))).Read();

        Assert.Equal((FrameType)0x7E, frame!.Value.Type);
        Assert.False(FrameTypes.IsKnown(frame.Value.Type));
    }

    [Fact]
    public void Truncated_structured_payload_is_a_protocol_error()
    {
        var payload = new StartMessage(["ls"], [], "", "", false, false, 0, 0, 1).Encode();

        for (var length = 0; length < payload.Length; length++)
            Assert.Throws<ProtocolException>(() => StartMessage.Decode(payload.AsSpan(0, length)));
    }

    [Fact]
    public void String_list_with_a_lying_count_is_refused_without_allocating_it()
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, uint.MaxValue);

        Assert.Throws<ProtocolException>(() => StartMessage.Decode(payload));
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_protocol_error()
    {
        byte[] payload = [0, 0, 0, 2, 0xC3, 0x28];

        Assert.Throws<ProtocolException>(() => ErrorMessage.Decode(payload));
    }

    [Fact]
    public void Random_bytes_never_crash_a_decoder_with_anything_but_a_protocol_error()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            foreach (var decode in Decoders)
            {
                try
                {
                    decode(bytes);
                }
                catch (ProtocolException)
                {
                }
            }
        }, iter: 2000);
    }

    [Fact]
    public void Random_streams_never_crash_the_frame_reader_with_anything_but_a_protocol_error()
    {
        Gen.Byte.Array[0, 40].Sample(bytes =>
        {
            var reader = new FrameReader(new MemoryStream(bytes), maxPayloadSize: 16);
            try
            {
                while (reader.Read() is not null)
                {
                }
            }
            catch (ProtocolException)
            {
            }
        }, iter: 2000);
    }

    private static readonly Action<byte[]>[] Decoders =
    [
        b => HelloMessage.Decode(b), b => HelloReplyMessage.Decode(b), b => StartMessage.Decode(b),
        b => StartedMessage.Decode(b), b => ExitMessage.Decode(b), b => ErrorMessage.Decode(b),
        b => SignalMessage.Decode(b), b => ResizeMessage.Decode(b), b => CancelMessage.Decode(b),
        b => CreditMessage.Decode(b), b => FileReadMessage.Decode(b), b => FileWriteMessage.Decode(b),
        b => PingMessage.Decode(b), b => ShutdownMessage.Decode(b), b => FileWrittenMessage.Decode(b),
    ];
}
