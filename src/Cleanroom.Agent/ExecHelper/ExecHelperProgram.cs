using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.ExecHelper;

/// <summary>
/// The agent binary started again with --exec-helper, by posix_spawn, with the command's stdin,
/// stdout and stderr already on 0, 1 and 2. It does what posix_spawn cannot (new session,
/// controlling terminal, groups/gid/uid, working directory as that user) and then execve's the command,
/// so the pid the agent got from posix_spawn is the command's pid.
/// </summary>
internal static class ExecHelperProgram
{
    /// <summary>Exit code when the helper could not exec; the agent reports the reason from the failure pipe instead.</summary>
    private const int FailedExitCode = 127;

    public static int Run()
    {
        var report = FileDescriptors.Adopt(ExecSpec.ReportDescriptor);
        FileDescriptors.SetCloseOnExec(report);
        ExecSpec spec;
        using (var specPipe = FileDescriptors.Adopt(ExecSpec.SpecDescriptor))
        {
            using var stream = new FileDescriptorStream(specPipe, "exec spec");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            spec = ExecSpec.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }

        var failure = Launch(spec);
        FileDescriptors.WriteAll(report, failure.Encode());
        report.Dispose();
        return FailedExitCode;
    }

    /// <summary>Returns only when the command could not be started.</summary>
    private static LaunchFailure Launch(ExecSpec spec)
    {
        var stage = LaunchFailure.UserStage;
        try
        {
            var identity = spec.User.Length > 0 ? new UserDatabase().Resolve(spec.User) : null;

            stage = LaunchFailure.SessionStage;
            // A session of its own makes the command the leader of a process group, so a signal to
            // the group reaches everything it starts, and lets a pty become its controlling terminal.
            ExecSyscalls.NewSession();
            if (spec.Tty)
                ExecSyscalls.TakeControllingTerminalOnStdin();

            var environment = spec.Environment.ToList();
            if (identity is not null)
            {
                stage = LaunchFailure.IdentityStage;
                ExecSyscalls.SetIdentity(identity.Uid, identity.Gid, identity.Groups);
                if (identity.Home is { Length: > 0 } home && !environment.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
                    environment.Add("HOME=" + home);
            }

            // After the identity change, so the directory is checked with the command's permissions.
            stage = LaunchFailure.DirectoryStage;
            if (spec.WorkingDirectory.Length > 0)
                ExecSyscalls.ChangeDirectory(spec.WorkingDirectory);

            stage = LaunchFailure.ExecStage;
            return Exec(spec.Argv, environment);
        }
        catch (UnixException e)
        {
            return new LaunchFailure(stage, e.Errno, e.Message);
        }
        catch (UserNotFoundException e)
        {
            return new LaunchFailure(stage, Errno.ENOENT, e.Message);
        }
        catch (Exception e)
        {
            return new LaunchFailure(stage, 0, e.Message);
        }
    }

    private static LaunchFailure Exec(IReadOnlyList<string> argv, IReadOnlyList<string> environment)
    {
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnvironment = new NativeStringArray(environment);
        var candidates = CommandSearch.Candidates(argv[0], environment);

        ExecSyscalls.CloseOnExecFrom(ExecSpec.SpecDescriptor);
        ExecSyscalls.ResetSignalsForExec();

        var deniedErrno = 0;
        foreach (var candidate in candidates)
        {
            using var path = new NativeStringArray([candidate]);
            var errno = ExecSyscalls.Execve(path, nativeArgv, nativeEnvironment);
            switch (errno)
            {
                case Errno.ENOENT or Errno.ENOTDIR or Errno.ENAMETOOLONG or Errno.ELOOP:
                    continue; // not here; try the next PATH entry, as execvp does
                case Errno.EACCES or Errno.EPERM:
                    deniedErrno = errno;
                    continue;
                default:
                    return new LaunchFailure(LaunchFailure.ExecStage, errno, new UnixException($"execve {candidate}", errno).Message);
            }
        }
        return deniedErrno != 0
            ? new LaunchFailure(LaunchFailure.ExecStage, deniedErrno, new UnixException($"execve {argv[0]}", deniedErrno).Message)
            : new LaunchFailure(LaunchFailure.ExecStage, Errno.ENOENT, $"{argv[0]}: command not found");
    }
}
