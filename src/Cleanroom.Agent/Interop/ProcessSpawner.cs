using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// posix_spawn with a descriptor map. posix_spawn is the safe way to start a process from a
/// multithreaded runtime (a bare fork would copy a process whose other threads hold locks).
/// The child gets every signal at its default action and an empty signal mask, so nothing the
/// .NET runtime set up leaks into it.
/// </summary>
internal static unsafe class ProcessSpawner
{
    /// <param name="descriptors">childFd → the handle to place there; all other descriptors are close-on-exec.</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment,
        IReadOnlyList<(int ChildFd, SafeFileHandle Handle)> descriptors) =>
        Check(TrySpawn(path, argv, environment, descriptors, workingDirectory: null, newSession: false, out var pid), $"posix_spawn {path}") == 0 ? pid : 0;

    /// <summary>
    /// posix_spawn that also gives the child <paramref name="workingDirectory"/> (chdir before exec) and, with
    /// <paramref name="newSession"/> (a command started directly, not through the helper), a session of its own
    /// and no descriptor above the mapped ones. Returns 0 or the errno: glibc reports a failed exec
    /// (ENOENT, EACCES, ...) here, after reaping the child it made.
    /// </summary>
    public static int TrySpawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment,
        IReadOnlyList<(int ChildFd, SafeFileHandle Handle)> descriptors, string? workingDirectory, bool newSession, out int pid)
    {
        pid = 0;
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnv = new NativeStringArray(environment);
        var nativePath = NativeStrings.Utf8Z(path);

        var fileActions = NativeMemory.AllocZeroed(LibC.FileActionsSize);
        var attributes = NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        var signals = NativeMemory.AllocZeroed(LibC.SigSetSize);
        var refs = new bool[descriptors.Count];
        var lifted = new List<int>();
        try
        {
            Check(LibC.FileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(LibC.SpawnAttrInit(attributes), "posix_spawnattr_init");
            try
            {
                var firstFree = descriptors.Max(d => d.ChildFd) + 1;
                for (var i = 0; i < descriptors.Count; i++)
                {
                    descriptors[i].Handle.DangerousAddRef(ref refs[i]);
                    var fd = (int)descriptors[i].Handle.DangerousGetHandle();
                    // The dup2's run in order: a source sitting on a later target slot (say 3, while an
                    // earlier action writes slot 3) would be overwritten before it is copied. Lift such
                    // sources above every target first. This also avoids dup2(fd, fd), which would keep
                    // close-on-exec set.
                    if (fd < firstFree)
                    {
                        fd = LibC.Fcntl(fd, LibC.F_DUPFD_CLOEXEC, firstFree);
                        if (fd < 0)
                            throw UnixException.FromLastError("fcntl F_DUPFD_CLOEXEC");
                        lifted.Add(fd);
                    }
                    Check(LibC.FileActionsAddDup2(fileActions, fd, descriptors[i].ChildFd), "posix_spawn_file_actions_adddup2");
                }
                if (workingDirectory is { Length: > 0 })
                {
                    fixed (byte* directory = NativeStrings.Utf8Z(workingDirectory))
                        Check(LibC.FileActionsAddChdir(fileActions, directory), "posix_spawn_file_actions_addchdir_np");
                }
                if (newSession)
                    Check(LibC.FileActionsAddCloseFrom(fileActions, firstFree), "posix_spawn_file_actions_addclosefrom_np");
                LibC.SigEmptySet(signals);
                Check(LibC.SpawnAttrSetSigMask(attributes, signals), "posix_spawnattr_setsigmask");
                LibC.SigFillSet(signals);
                Check(LibC.SpawnAttrSetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault");
                var flags = (short)(LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF | (newSession ? LibC.POSIX_SPAWN_SETSID : 0));
                Check(LibC.SpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");

                int child;
                int result;
                fixed (byte* p = nativePath)
                    result = LibC.PosixSpawn(&child, p, fileActions, attributes, nativeArgv.Pointer, nativeEnv.Pointer);
                pid = child;
                return result;
            }
            finally
            {
                LibC.FileActionsDestroy(fileActions);
                LibC.SpawnAttrDestroy(attributes);
            }
        }
        finally
        {
            foreach (var fd in lifted)
                LibC.Close(fd);
            for (var i = 0; i < descriptors.Count; i++)
                if (refs[i]) descriptors[i].Handle.DangerousRelease();
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
        }
    }

    // posix_spawn* return the error number instead of setting errno.
    private static int Check(int result, string operation) =>
        result == 0 ? 0 : throw new UnixException(operation, result);
}
