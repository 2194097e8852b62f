namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>Host → agent: run a command on a new channel.</summary>
/// <param name="Environment">The complete environment of the command, as KEY=VALUE; nothing is inherited from the agent.</param>
/// <param name="WorkingDirectory">Absolute path, or empty for the agent's own working directory.</param>
/// <param name="User">Empty (the agent's user), "name", "uid", "name:group" or "uid:gid".</param>
/// <param name="InitialOutputCredit">Bytes of stdout+stderr the agent may send before it needs more credit.</param>
public sealed record StartMessage(
    IReadOnlyList<string> Argv,
    IReadOnlyList<string> Environment,
    string WorkingDirectory,
    string User,
    bool Tty,
    bool Stdin,
    ushort Rows,
    ushort Columns,
    uint InitialOutputCredit)
{
    private const byte TtyFlag = 1;
    private const byte StdinFlag = 2;

    public byte[] Encode() => new PayloadWriter()
        .StringList(Argv)
        .StringList(Environment)
        .String(WorkingDirectory)
        .String(User)
        .U8((byte)((Tty ? TtyFlag : 0) | (Stdin ? StdinFlag : 0)))
        .U16(Rows)
        .U16(Columns)
        .U32(InitialOutputCredit)
        .ToArray();

    public static StartMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "start");
        var argv = reader.StringList();
        var env = reader.StringList();
        var cwd = reader.String();
        var user = reader.String();
        var flags = reader.U8();
        return new StartMessage(argv, env, cwd, user, (flags & TtyFlag) != 0, (flags & StdinFlag) != 0,
            reader.U16(), reader.U16(), reader.U32());
    }
}

/// <summary>Agent → host: the command is running. Stdin credit is 0 when the start asked for no stdin.</summary>
public sealed record StartedMessage(uint Pid, uint InitialStdinCredit)
{
    public byte[] Encode() => new PayloadWriter().U32(Pid).U32(InitialStdinCredit).ToArray();

    public static StartedMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "started");
        return new StartedMessage(reader.U32(), reader.U32());
    }
}

/// <summary>Host → agent: deliver a signal to the command's process group.</summary>
public sealed record SignalMessage(int Signal)
{
    public byte[] Encode() => new PayloadWriter().I32(Signal).ToArray();

    public static SignalMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "signal").I32());
}

/// <summary>Host → agent: new terminal size of a tty execution.</summary>
public sealed record ResizeMessage(ushort Rows, ushort Columns)
{
    public byte[] Encode() => new PayloadWriter().U16(Rows).U16(Columns).ToArray();

    public static ResizeMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "resize");
        return new ResizeMessage(reader.U16(), reader.U16());
    }
}

/// <summary>Host → agent: SIGTERM the process group now, SIGKILL it if it still runs after the grace period.</summary>
public sealed record CancelMessage(uint GraceMilliseconds)
{
    public byte[] Encode() => new PayloadWriter().U32(GraceMilliseconds).ToArray();

    public static CancelMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "cancel").U32());
}

/// <summary>
/// Agent → host, last frame of a started execution, sent after all of its output.
/// Death by signal N is reported as exit code 128+N with <see cref="Signal"/> = N; otherwise Signal is 0.
/// </summary>
public sealed record ExitMessage(int ExitCode, int Signal)
{
    public byte[] Encode() => new PayloadWriter().I32(ExitCode).I32(Signal).ToArray();

    public static ExitMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "exit");
        return new ExitMessage(reader.I32(), reader.I32());
    }
}
