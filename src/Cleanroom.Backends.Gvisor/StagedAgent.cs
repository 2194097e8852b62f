using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The agent as <c>scripts/build-agent.sh</c> stages it on the host, and how it is started inside a
/// sandbox: through the loader it was linked against, so it runs whatever libc the image has, or none.
/// </summary>
internal sealed record StagedAgent(string HostDirectory)
{
    /// <summary>Where <see cref="HostDirectory"/> is bind-mounted, read-only, in every sandbox.</summary>
    public const string GuestDirectory = "/.cleanroom";

    /// <summary>Where the sandbox's channel directory (<see cref="SandboxLayout.ChannelDirectory"/>) is bind-mounted.</summary>
    public const string GuestChannelDirectory = "/.cleanroom-channel";

    /// <summary>The agent's listening socket, inside <see cref="GuestChannelDirectory"/>.</summary>
    public const string SocketName = "agent.sock";

    private const string Binary = "cleanroom-agent";
    private const string Loader = "ld-linux-x86-64.so.2";

    public string HostBinary => Path.Combine(HostDirectory, Binary);

    public string HostLoader => Path.Combine(HostDirectory, "lib", Loader);

    /// <summary>PID 1 of the sandbox: the agent, listening on the channel directory's socket for one host after another.</summary>
    public IReadOnlyList<string> GuestArgv =>
        [$"{GuestDirectory}/lib/{Loader}", "--library-path", $"{GuestDirectory}/lib", $"{GuestDirectory}/{Binary}", "--listen", $"{GuestChannelDirectory}/{SocketName}"];

    /// <summary>Null when staged; otherwise what is missing and how to fix it.</summary>
    public string? Problem()
    {
        foreach (var file in new[] { HostBinary, HostLoader })
        {
            if (!File.Exists(file))
                return $"the guest agent is not staged: {file} is missing; run scripts/build-agent.sh (or point the server at the directory it made)";
        }
        return null;
    }

    public void EnsureStaged()
    {
        if (Problem() is { } problem)
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, problem);
    }
}
