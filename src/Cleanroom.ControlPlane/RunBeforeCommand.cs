using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>A policy's <c>sandbox.run.before</c>: a shell command run before every execution, and where it runs by default.</summary>
internal sealed record RunBeforeCommand(string Command, string RepositoryPath)
{
    public static RunBeforeCommand? Of(SandboxPolicy policy) =>
        policy.Compiled.RunBefore is { } command ? new RunBeforeCommand(command, policy.Compiled.RepositoryPath) : null;
}
