using System.Buffers.Binary;
using System.Diagnostics;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

/// <summary>The real agent fed raw frames, including malformed ones a correct host never sends.</summary>
public sealed class RawAgentProtocolTests : IDisposable
{
    private readonly Process _agent;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;

    public RawAgentProtocolTests()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(AgentPaths.ManagedAgentDll);
        info.ArgumentList.Add("--stdio");
        _agent = Process.Start(info)!;
        _agent.ErrorDataReceived += (_, _) => { };
        _agent.BeginErrorReadLine();
        _reader = new FrameReader(_agent.StandardOutput.BaseStream);
        _writer = new FrameWriter(_agent.StandardInput.BaseStream);
    }

    [Fact]
    public void Unknown_frame_type_gets_an_error_on_its_channel_and_the_agent_keeps_serving()
    {
        _writer.Write((FrameType)0x70, 9, [1, 2, 3]);
        _writer.Write(FrameType.Ping, 0, new PingMessage(77).Encode());

        var error = Next();
        var pong = Next();

        Assert.Equal((FrameType.Error, 9u), (error.Type, error.Channel));
        Assert.Equal(AgentErrorCodes.UnknownFrameType, ErrorMessage.Decode(error.Payload.Span).Code);
        Assert.Equal(FrameType.Pong, pong.Type);
        Assert.Equal(77ul, PingMessage.Decode(pong.Payload.Span).Token);
    }

    [Fact]
    public void Malformed_payload_gets_a_bad_request_error_and_the_agent_keeps_serving()
    {
        _writer.Write(FrameType.Start, 4, [0, 0, 0, 5]); // claims five argv strings, carries none
        _writer.Write(FrameType.Ping, 0, new PingMessage(1).Encode());

        var error = Next();

        Assert.Equal((FrameType.Error, 4u), (error.Type, error.Channel));
        Assert.Equal(AgentErrorCodes.BadRequest, ErrorMessage.Decode(error.Payload.Span).Code);
        Assert.Equal(FrameType.Pong, Next().Type);
    }

    [Fact]
    public void Oversized_frame_gets_a_connection_error_and_the_agent_exits_cleanly()
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        header[0] = (byte)FrameType.StdinData;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 1);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), uint.MaxValue);
        _agent.StandardInput.BaseStream.Write(header);
        _agent.StandardInput.BaseStream.Flush();

        var error = Next();

        Assert.Equal((FrameType.Error, 0u), (error.Type, error.Channel));
        Assert.True(_agent.WaitForExit(30_000));
        Assert.Equal(0, _agent.ExitCode);
    }

    [Fact]
    public void Truncated_frame_at_end_of_stream_makes_the_agent_exit_cleanly()
    {
        _agent.StandardInput.BaseStream.Write([(byte)FrameType.Ping, 0, 0]);
        _agent.StandardInput.Close();

        Assert.True(_agent.WaitForExit(30_000));
        Assert.Equal(0, _agent.ExitCode);
    }

    private Frame Next()
    {
        var read = Task.Run(() => _reader.Read());
        Assert.True(read.Wait(TimeSpan.FromSeconds(30)), "the agent did not answer");
        return read.Result ?? throw new InvalidOperationException("the agent closed the connection");
    }

    public void Dispose()
    {
        try
        {
            _agent.Kill(entireProcessTree: true);
            _agent.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _agent.Dispose();
    }
}
