using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

/// <summary>The guest is untrusted: a misbehaving agent must fail its connection cleanly, never flood the host.</summary>
public class HostileAgentTests
{
    private static readonly HelloReplyMessage GoodReply = new(ProtocolConstants.Version, "fake", ProtocolConstants.MaxPayloadSize, false, ["exec"]);

    [Fact]
    public async Task Output_beyond_the_granted_credit_fails_the_connection_as_a_protocol_violation()
    {
        using var fake = new FakeAgent();
        using var deadline = TestDeadline.Start();
        var agentSide = Task.Run(() =>
        {
            fake.Expect(FrameType.Hello);
            fake.Writer.Write(FrameType.HelloReply, 0, GoodReply.Encode());
            var start = fake.Expect(FrameType.Start);
            fake.Writer.Write(FrameType.Started, start.Channel, new StartedMessage(99, 0).Encode());
            fake.Writer.Write(FrameType.Stdout, start.Channel, new byte[4096 + 1]);
        });
        await using var connection = await AgentConnection.ConnectAsync(fake.HostReads, fake.HostWrites,
            new AgentConnectionOptions { OutputWindow = 4096 }, deadline.Token);

        var execution = await connection.StartAsync(new ExecutionRequest(["x"]), deadline.Token);
        var error = await Assert.ThrowsAsync<AgentException>(() => execution.Exit.WaitAsync(deadline.Token));

        Assert.Equal(AgentClientErrorCodes.ProtocolViolation, error.Code);
        Assert.Equal(0, execution.OutputFlow.BytesReceived);
        await agentSide;
    }

    [Fact]
    public async Task Agent_with_another_protocol_version_is_refused()
    {
        using var fake = new FakeAgent();
        using var deadline = TestDeadline.Start();
        var agentSide = Task.Run(() =>
        {
            fake.Expect(FrameType.Hello);
            fake.Writer.Write(FrameType.HelloReply, 0, (GoodReply with { ProtocolVersion = 99 }).Encode());
        });

        var error = await Assert.ThrowsAsync<AgentException>(() => AgentConnection.ConnectAsync(fake.HostReads, fake.HostWrites, null, deadline.Token));

        Assert.Equal(AgentClientErrorCodes.Incompatible, error.Code);
        Assert.Contains("99", error.Message);
        await agentSide;
    }

    [Fact]
    public async Task Oversized_frame_from_the_agent_fails_the_connection()
    {
        using var fake = new FakeAgent();
        using var deadline = TestDeadline.Start();
        var agentSide = Task.Run(() =>
        {
            fake.Expect(FrameType.Hello);
            fake.Writer.Write(FrameType.HelloReply, 0, GoodReply.Encode());
            var header = new byte[ProtocolConstants.HeaderSize];
            FrameCodec.WriteHeader(header, FrameType.Stdout, 1, 0);
            header[5] = 0x7f; // length 2 GB
            fake.Writer.Write(FrameType.Pong, 0, new PingMessage(12345).Encode());
            fake.WriteRaw(header);
        });
        await using var connection = await AgentConnection.ConnectAsync(fake.HostReads, fake.HostWrites, null, deadline.Token);
        await agentSide;

        var error = await Assert.ThrowsAsync<AgentException>(() => connection.Completion.WaitAsync(deadline.Token));

        Assert.Equal(AgentClientErrorCodes.ProtocolViolation, error.Code);
        Assert.Contains("maximum", error.Message);
    }

    [Fact]
    public async Task Unknown_frame_type_from_the_agent_fails_the_connection()
    {
        using var fake = new FakeAgent();
        using var deadline = TestDeadline.Start();
        var agentSide = Task.Run(() =>
        {
            fake.Expect(FrameType.Hello);
            fake.Writer.Write(FrameType.HelloReply, 0, GoodReply.Encode());
            fake.Writer.Write((FrameType)0x6B, 5, [1, 2, 3]);
        });
        await using var connection = await AgentConnection.ConnectAsync(fake.HostReads, fake.HostWrites, null, deadline.Token);
        await agentSide;

        var error = await Assert.ThrowsAsync<AgentException>(() => connection.Completion.WaitAsync(deadline.Token));

        Assert.Equal(AgentClientErrorCodes.ProtocolViolation, error.Code);
    }
}
