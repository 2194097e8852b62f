using Cleanroom.Agent.ExecHelper;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// Starts a command: posix_spawn of the agent itself in --exec-helper mode with the command's stdio on
/// 0..2, the exec spec on 3 and a close-on-exec failure pipe on 4; then waits for that pipe to reach end
/// of file (the helper exec'd the command) or to carry a <see cref="LaunchFailure"/>.
/// </summary>
internal sealed class ExecutionLauncher(SelfCommand self, ChildReaper reaper)
{
    public const string HelperFlag = "--exec-helper";

    /// <summary>Starts the command. Returns the pid and, when the command could not be exec'd, why.</summary>
    public (int Pid, ErrorMessage? Failure) Launch(StartMessage start, CommandStdio stdio, Action<WaitStatus> onExit) =>
        start.User.Length == 0 && !start.Tty
            ? DirectLaunch.Launch(start, stdio, reaper, onExit)
            : LaunchThroughHelper(start, stdio, onExit);

    /// <summary>
    /// Through the exec helper, for what posix_spawn cannot do: another user (groups, gid, uid) or a controlling
    /// terminal. Costs a second exec of the agent, which under gVisor's ptrace platform is most of an exec's time.
    /// </summary>
    private (int Pid, ErrorMessage? Failure) LaunchThroughHelper(StartMessage start, CommandStdio stdio, Action<WaitStatus> onExit)
    {
        var (specRead, specWrite) = FileDescriptors.CreatePipe();
        var (reportRead, reportWrite) = FileDescriptors.CreatePipe();
        using (specWrite)
        using (reportRead)
        {
            int pid;
            using (specRead)
            using (reportWrite)
            {
                var descriptors = new List<(int, SafeFileHandle)>(stdio.ChildDescriptors)
                {
                    (ExecSpec.SpecDescriptor, specRead),
                    (ExecSpec.ReportDescriptor, reportWrite),
                };
                pid = reaper.Spawn(
                    () => ProcessSpawner.Spawn(self.Executable, self.Argv(HelperFlag), AgentEnvironment(), descriptors),
                    onExit);
            }
            stdio.CloseChildEnds();

            var spec = new ExecSpec(start.Argv, start.Environment, start.WorkingDirectory, start.User, start.Tty);
            try
            {
                FileDescriptors.WriteAll(specWrite, spec.Encode());
            }
            catch (UnixException e)
            {
                return (pid, new ErrorMessage(AgentErrorCodes.SpawnFailed, $"the exec helper did not start: {e.Message}", 126));
            }
            specWrite.Dispose();

            var report = ReadToEnd(reportRead);
            return report.Length == 0 ? (pid, null) : (pid, Describe(start, LaunchFailure.Decode(report)));
        }
    }

    /// <summary>The helper runs with the agent's own environment; the command's is in the spec.</summary>
    private static List<string> AgentEnvironment()
    {
        var variables = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            variables.Add($"{entry.Key}={entry.Value}");
        return variables;
    }

    private static byte[] ReadToEnd(SafeFileHandle handle)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = FileDescriptors.Read(handle, chunk)) > 0)
            buffer.Write(chunk, 0, n);
        return buffer.ToArray();
    }

    /// <summary>Maps a helper failure to the stable error a user sees, with the exit code a shell would give.</summary>
    internal static ErrorMessage Describe(StartMessage start, LaunchFailure failure) => failure.Stage switch
    {
        LaunchFailure.ExecStage when failure.Errno == Errno.ENOENT =>
            new(AgentErrorCodes.CommandNotFound, $"command not found: {start.Argv[0]}", 127),
        LaunchFailure.ExecStage =>
            new(AgentErrorCodes.NotExecutable, $"cannot execute {start.Argv[0]}: {failure.Message}", 126),
        LaunchFailure.DirectoryStage =>
            new(AgentErrorCodes.WorkingDirectoryNotFound, $"working directory {start.WorkingDirectory} is not accessible: {failure.Message}", 126),
        LaunchFailure.UserStage =>
            new(AgentErrorCodes.UserNotFound, failure.Message, 126),
        _ =>
            new(AgentErrorCodes.SpawnFailed, $"could not start {start.Argv[0]} ({failure.Stage}): {failure.Message}", 126),
    };
}
