using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent.ExecHelper;

/// <summary>
/// What the agent asks the exec helper to do, sent over a pipe on the helper's descriptor 3
/// (a pipe rather than argv or environment so the helper's own runtime never sees the command's
/// environment, and so no size limit of argv applies twice).
/// </summary>
internal sealed record ExecSpec(
    IReadOnlyList<string> Argv,
    IReadOnlyList<string> Environment,
    string WorkingDirectory,
    string User,
    bool Tty)
{
    public const int SpecDescriptor = 3;
    public const int ReportDescriptor = 4;

    public byte[] Encode() => new PayloadWriter()
        .StringList(Argv)
        .StringList(Environment)
        .String(WorkingDirectory)
        .String(User)
        .U8(Tty ? (byte)1 : (byte)0)
        .ToArray();

    public static ExecSpec Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "exec spec");
        return new ExecSpec(reader.StringList(), reader.StringList(), reader.String(), reader.String(), reader.U8() != 0);
    }
}

/// <summary>
/// Why the helper could not exec the command, written to its descriptor 4. That descriptor is
/// close-on-exec, so the agent reading end of file means execve succeeded.
/// </summary>
internal sealed record LaunchFailure(string Stage, int Errno, string Message)
{
    public const string UserStage = "user";
    public const string SessionStage = "session";
    public const string IdentityStage = "identity";
    public const string DirectoryStage = "cwd";
    public const string ExecStage = "exec";

    public byte[] Encode() => new PayloadWriter().String(Stage).I32(Errno).String(Message).ToArray();

    public static LaunchFailure Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "launch failure");
        return new LaunchFailure(reader.String(), reader.I32(), reader.String());
    }
}
