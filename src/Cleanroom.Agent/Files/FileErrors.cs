using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>Maps .NET file exceptions to the protocol's stable error codes.</summary>
internal static class FileErrors
{
    public static ErrorMessage Describe(string path, string verb, Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException =>
            new(AgentErrorCodes.FileNotFound, $"cannot {verb} {path}: no such file or directory", 0),
        UnauthorizedAccessException =>
            new(AgentErrorCodes.PermissionDenied, $"cannot {verb} {path}: permission denied", 0),
        _ =>
            new(AgentErrorCodes.IoError, $"cannot {verb} {path}: {e.Message}", 0),
    };
}
