namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Codes carried by <see cref="FrameType.Error"/> frames. Programs act on these strings,
/// so they never change meaning; the message next to them is for humans.
/// </summary>
public static class AgentErrorCodes
{
    /// <summary>argv[0] was not found on PATH or at the given path. Exit code 127, as a shell reports it.</summary>
    public const string CommandNotFound = "command_not_found";

    /// <summary>The command exists but could not be executed (permissions, bad format). Exit code 126.</summary>
    public const string NotExecutable = "not_executable";

    /// <summary>The working directory does not exist or is not accessible. Exit code 126.</summary>
    public const string WorkingDirectoryNotFound = "cwd_not_found";

    /// <summary>The user or group is not in the sandbox's /etc/passwd or /etc/group. Exit code 126.</summary>
    public const string UserNotFound = "user_not_found";

    /// <summary>Any other failure before the command ran (fork, pipes, setuid). Exit code 126.</summary>
    public const string SpawnFailed = "spawn_failed";

    public const string FileNotFound = "file_not_found";
    public const string PermissionDenied = "permission_denied";
    public const string InvalidPath = "invalid_path";
    public const string IoError = "io_error";

    /// <summary>A tree listing passed the entry limit the host set.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The path exists but is not a directory where one is needed (an archive or manifest root).</summary>
    public const string NotADirectory = "not_a_directory";

    /// <summary>Nothing listens on the port in the sandbox (neither on 127.0.0.1 nor on ::1).</summary>
    public const string ConnectionRefused = "connection_refused";

    /// <summary>A port connection failed after it was made (reset by the program in the sandbox).</summary>
    public const string ConnectionReset = "connection_reset";

    /// <summary>The frame was understood but its content is invalid (bad payload, channel already in use).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The frame type is not one this agent knows; the frame was skipped.</summary>
    public const string UnknownFrameType = "unknown_frame_type";
}
