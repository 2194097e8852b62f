using System.IO.Pipes;
using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent.Tests.Support;

/// <summary>
/// A scripted stand-in for the agent over in-process pipes, to make it break the protocol in ways the
/// real agent never does. The host client must survive whatever a hostile guest sends.
/// </summary>
internal sealed class FakeAgent : IDisposable
{
    private readonly AnonymousPipeServerStream _toHost = new(PipeDirection.Out);
    private readonly AnonymousPipeServerStream _fromHost = new(PipeDirection.In);

    public FakeAgent()
    {
        HostReads = new AnonymousPipeClientStream(PipeDirection.In, _toHost.ClientSafePipeHandle);
        HostWrites = new AnonymousPipeClientStream(PipeDirection.Out, _fromHost.ClientSafePipeHandle);
        Reader = new FrameReader(_fromHost);
        Writer = new FrameWriter(_toHost);
    }

    public Stream HostReads { get; }
    public Stream HostWrites { get; }
    public FrameReader Reader { get; }
    public FrameWriter Writer { get; }

    public Frame Expect(FrameType type)
    {
        var frame = Reader.Read() ?? throw new InvalidOperationException($"expected {type}, got end of stream");
        return frame.Type == type ? frame : throw new InvalidOperationException($"expected {type}, got {frame}");
    }

    /// <summary>Bytes that need not be a well-formed frame.</summary>
    public void WriteRaw(byte[] bytes)
    {
        _toHost.Write(bytes);
        _toHost.Flush();
    }

    public void Dispose()
    {
        _toHost.Dispose();
        _fromHost.Dispose();
    }
}
