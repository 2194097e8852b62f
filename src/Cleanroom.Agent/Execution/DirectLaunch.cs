using Cleanroom.Agent.ExecHelper;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// Starts a command as the agent's own user without a terminal: one posix_spawn of the command itself, with
/// the working directory, a new session and the stdio map done by posix_spawn, and PATH searched here the way
/// the exec helper does (127 "not found" and 126 "not executable" kept apart). No second program runs first.
/// </summary>
internal static class DirectLaunch
{
    public static (int Pid, ErrorMessage? Failure) Launch(StartMessage start, CommandStdio stdio, ChildReaper reaper, Action<WaitStatus> onExit)
    {
        try
        {
            var directory = start.WorkingDirectory;
            if (directory.Length > 0 && FileStatus.Lstat(directory) is not { Kind: FileStatus.Kind.Directory } && !Directory.Exists(directory))
                return (0, new ErrorMessage(AgentErrorCodes.WorkingDirectoryNotFound, $"working directory {directory} is not accessible: no such directory", 126));

            var denied = 0;
            foreach (var candidate in CommandSearch.Candidates(start.Argv[0], start.Environment))
            {
                // Skip what is plainly not there without making a child for it; relative candidates are looked up
                // from the command's working directory, as its exec would.
                var seenFrom = candidate.StartsWith('/') || directory.Length == 0 ? candidate : Path.Join(directory, candidate);
                if (!File.Exists(seenFrom))
                    continue;
                var errno = 0;
                var pid = reaper.Spawn(() =>
                {
                    errno = ProcessSpawner.TrySpawn(candidate, start.Argv, start.Environment, stdio.ChildDescriptors, directory, newSession: true, out var child);
                    return errno == 0 ? child : -1;
                }, onExit);
                switch (errno)
                {
                    case 0:
                        stdio.CloseChildEnds();
                        return (pid, null);
                    case Errno.ENOENT or Errno.ENOTDIR or Errno.ENAMETOOLONG or Errno.ELOOP:
                        continue;
                    case Errno.EACCES or Errno.EPERM:
                        denied = errno;
                        continue;
                    default:
                        stdio.CloseChildEnds();
                        return (0, new ErrorMessage(AgentErrorCodes.NotExecutable, $"cannot execute {start.Argv[0]}: {new UnixException($"execve {candidate}", errno).Message}", 126));
                }
            }
            stdio.CloseChildEnds();
            return denied != 0
                ? (0, new ErrorMessage(AgentErrorCodes.NotExecutable, $"cannot execute {start.Argv[0]}: {new UnixException($"execve {start.Argv[0]}", denied).Message}", 126))
                : (0, new ErrorMessage(AgentErrorCodes.CommandNotFound, $"command not found: {start.Argv[0]}", 127));
        }
        catch (UnixException e)
        {
            stdio.CloseChildEnds();
            return (0, new ErrorMessage(AgentErrorCodes.SpawnFailed, $"could not start {start.Argv[0]}: {e.Message}", 126));
        }
    }
}
