namespace Cleanroom.Agent.Protocol;

/// <summary>
/// The first byte of every frame. Values are wire format: never renumber, only add.
/// Channel 0 carries connection-level frames; every other channel is one execution or one file transfer,
/// numbered by the host.
/// </summary>
public enum FrameType : byte
{
    // Connection (channel 0).
    Hello = 0x01,          // host → agent
    HelloReply = 0x02,     // agent → host
    Ping = 0x03,           // host → agent
    Pong = 0x04,           // agent → host
    Shutdown = 0x05,       // host → agent
    Suspend = 0x06,        // host → agent: let go of every host socket (listener and this connection) until woken

    // Executions.
    Start = 0x10,          // host → agent
    Started = 0x11,        // agent → host
    StdinData = 0x12,      // host → agent
    StdinClose = 0x13,     // host → agent
    Signal = 0x14,         // host → agent
    Resize = 0x15,         // host → agent
    Cancel = 0x16,         // host → agent
    OutputCredit = 0x17,   // host → agent (executions and file reads)
    StdinCredit = 0x18,    // agent → host
    Stdout = 0x19,         // agent → host
    Stderr = 0x1A,         // agent → host
    Exit = 0x1B,           // agent → host, last frame of an execution
    Error = 0x1F,          // agent → host, last frame of its channel (or of the connection on channel 0)

    // Files.
    FileRead = 0x20,       // host → agent
    FileWrite = 0x21,      // host → agent
    FileData = 0x22,       // both directions
    FileEnd = 0x23,        // both directions
    FileWritten = 0x24,    // agent → host, last frame of a successful write

    // Trees: a tar stream or a manifest carried in FileData frames.
    ArchiveRead = 0x25,    // host → agent
    ArchiveWrite = 0x26,   // host → agent
    TreeManifest = 0x27,   // host → agent

    // Ports: a TCP connection the agent opens to a port on the sandbox's loopback, carried both ways.
    // Credit reuses OutputCredit (what the agent may send) and StdinCredit (what the host may send).
    PortConnect = 0x30,    // host → agent
    PortConnected = 0x31,  // agent → host
    PortData = 0x32,       // both directions
    PortEnd = 0x33,        // both directions: this side sends nothing more (a TCP half-close)
    PortClose = 0x34,      // host → agent: drop the connection now
}

public static class FrameTypes
{
    /// <summary>True for values this version of the protocol defines.</summary>
    public static bool IsKnown(FrameType type) => type switch
    {
        FrameType.Hello or FrameType.HelloReply or FrameType.Ping or FrameType.Pong or FrameType.Shutdown or FrameType.Suspend => true,
        >= FrameType.Start and <= FrameType.Exit => true,
        FrameType.Error => true,
        >= FrameType.FileRead and <= FrameType.TreeManifest => true,
        >= FrameType.PortConnect and <= FrameType.PortClose => true,
        _ => false,
    };
}
