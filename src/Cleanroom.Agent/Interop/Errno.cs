namespace Cleanroom.Agent.Interop;

/// <summary>The errno values the agent acts on (Linux numbering).</summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENOEXEC = 8, ECHILD = 10,
        EAGAIN = 11, EACCES = 13, ENOTDIR = 20, EISDIR = 21, EPIPE = 32, ENAMETOOLONG = 36, ELOOP = 40;
}
