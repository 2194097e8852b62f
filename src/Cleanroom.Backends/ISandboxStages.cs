namespace Cleanroom.Backends;

/// <summary>
/// A sandbox whose egress follows its policy's lifecycle stages (repository, dependencies, services, execution).
/// A sandbox starts in <see cref="StartingStage"/> of its spec; the control plane moves it on as setup proceeds.
/// </summary>
public interface ISandboxStages
{
    /// <summary>The stage whose allow rules are active.</summary>
    string Stage { get; }

    /// <summary>
    /// Makes <paramref name="stage"/>'s allow rules the only ones, in one firewall transaction, before returning:
    /// the previous stage's answered addresses are closed and its open connections can send on only where the new
    /// stage allows their destination.
    /// </summary>
    Task EnterStageAsync(string stage, CancellationToken cancellationToken);

    /// <summary>The execution that egress events are attributed to from now on; null when none (or several) run.</summary>
    void AttributeEgressTo(string? executionId);
}

/// <summary>Where a sandbox's stages start.</summary>
public static class SandboxStages
{
    public const string Repository = "repository";
    public const string Dependencies = "dependencies";
    public const string Services = "services";
    public const string Execution = "execution";

    /// <summary>
    /// A policy with dependency or service blocks starts in the repository stage and is moved through the others by
    /// setup; any other starts where it stays, in the execution stage (no switch on the way to READY).
    /// </summary>
    public static string StartingStage(SandboxPolicy policy) =>
        policy.Compiled.Dependencies.IsEmpty && policy.Compiled.Services.IsEmpty ? Execution : Repository;
}
