namespace Cleanroom.ControlPlane;

/// <summary>
/// Where an execution's time went. The first execution of a sandbox (what <c>exec</c> and <c>exec --rm</c> run) counts
/// from the sandbox's create request and carries its start-up milestones; a later execution counts from its own
/// create and has none (its sandbox was already READY). Every value is an offset from that origin except
/// <see cref="Command"/>, which is how long the command itself ran.
/// </summary>
public sealed record ExecutionTimings(TimeSpan? ImageReady, TimeSpan? NetworkReady, TimeSpan? SandboxReady, TimeSpan? Command, TimeSpan? Total)
{
    public static ExecutionTimings Of(Execution execution)
    {
        var origin = execution.Startup?.Origin ?? execution.CreatedAt;
        return new ExecutionTimings(
            execution.Startup?.ImageReady,
            execution.Startup?.NetworkReady,
            execution.Startup?.SandboxReady,
            execution is { StartedAt: { } started, FinishedAt: { } finished } ? finished - started : null,
            execution.FinishedAt is { } end ? end - origin : null);
    }
}

/// <summary>The start-up milestones of the sandbox an execution was the first of, offsets from <see cref="Origin"/>.</summary>
public sealed record ExecutionStartup(DateTimeOffset Origin, TimeSpan? ImageReady, TimeSpan? NetworkReady, TimeSpan? SandboxReady)
{
    public static ExecutionStartup Of(SandboxStartup startup) =>
        new(startup.CreatedAt, startup.ImageReady, startup.NetworkReady, startup.SandboxReady);
}
