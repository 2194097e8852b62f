using System.Text;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// How to start this same agent again (for --exec-helper). The running program may be the NativeAOT
/// binary, the binary started through a dynamic loader (`ld-linux.so --library-path DIR agent`), or
/// `dotnet cleanroom-agent.dll`. In the loader case /proc/self/exe is the loader, not the agent, so
/// the command is rebuilt from /proc/self/cmdline: everything before the agent's own arguments is the
/// prefix that started it (loader + its options + agent path, or dotnet + dll), and /proc/self/exe is
/// the file to execute.
/// </summary>
internal sealed record SelfCommand(string Executable, IReadOnlyList<string> ArgvPrefix)
{
    public static SelfCommand Detect(IReadOnlyList<string> ownArguments)
    {
        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the agent's own executable (/proc/self/exe)");
        var raw = File.ReadAllBytes("/proc/self/cmdline");
        var tokens = Encoding.UTF8.GetString(raw).TrimEnd('\0').Split('\0');
        var prefixLength = tokens.Length - ownArguments.Count;
        if (prefixLength < 1)
            throw new InvalidOperationException("/proc/self/cmdline is shorter than the agent's own arguments");
        return new SelfCommand(executable, tokens[..prefixLength]);
    }

    public IReadOnlyList<string> Argv(params string[] arguments) => [.. ArgvPrefix, .. arguments];
}
