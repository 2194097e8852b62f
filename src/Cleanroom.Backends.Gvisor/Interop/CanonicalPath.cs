using System.Runtime.InteropServices;

namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>
/// Paths as the kernel reports them (mountinfo, a loop device's backing file): absolute, with every symlink resolved.
/// Ours are compared against those, so a sandbox root reached through a symlink still finds its own mounts.
/// </summary>
internal static class CanonicalPath
{
    /// <summary>realpath(3) of <paramref name="path"/>, or the full path as given when it does not exist (any more).</summary>
    public static unsafe string Of(string path)
    {
        var resolved = LibC.RealPath(path, null);
        if (resolved is null)
            return Path.GetFullPath(path);
        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved)!;
        }
        finally
        {
            LibC.Free(resolved);
        }
    }
}
