namespace Cleanroom.ControlPlane.Tests;

public class LifecycleTransitionsTests
{
    // Written out independently of the implementation's table: this is the specification.
    private static readonly HashSet<(SandboxStatus, SandboxStatus)> SandboxAllowed =
    [
        (SandboxStatus.Provisioning, SandboxStatus.Ready),
        (SandboxStatus.Provisioning, SandboxStatus.Stopping),
        (SandboxStatus.Provisioning, SandboxStatus.Failed),
        (SandboxStatus.Ready, SandboxStatus.Stopping),
        (SandboxStatus.Ready, SandboxStatus.Failed),
        (SandboxStatus.Ready, SandboxStatus.Suspended),
        (SandboxStatus.Suspended, SandboxStatus.Ready),
        (SandboxStatus.Suspended, SandboxStatus.Stopping),
        (SandboxStatus.Suspended, SandboxStatus.Failed),
        (SandboxStatus.Stopping, SandboxStatus.Stopped),
        (SandboxStatus.Stopping, SandboxStatus.Failed),
    ];

    private static readonly HashSet<(ExecutionStatus, ExecutionStatus)> ExecutionAllowed =
    [
        (ExecutionStatus.Queued, ExecutionStatus.Running),
        (ExecutionStatus.Queued, ExecutionStatus.Failed),
        (ExecutionStatus.Queued, ExecutionStatus.Canceled),
        (ExecutionStatus.Running, ExecutionStatus.Succeeded),
        (ExecutionStatus.Running, ExecutionStatus.Failed),
        (ExecutionStatus.Running, ExecutionStatus.Canceled),
        (ExecutionStatus.Running, ExecutionStatus.TimedOut),
    ];

    public static TheoryData<SandboxStatus, SandboxStatus> AllSandboxPairs()
    {
        var data = new TheoryData<SandboxStatus, SandboxStatus>();
        foreach (var from in Enum.GetValues<SandboxStatus>())
            foreach (var to in Enum.GetValues<SandboxStatus>())
                data.Add(from, to);
        return data;
    }

    public static TheoryData<ExecutionStatus, ExecutionStatus> AllExecutionPairs()
    {
        var data = new TheoryData<ExecutionStatus, ExecutionStatus>();
        foreach (var from in Enum.GetValues<ExecutionStatus>())
            foreach (var to in Enum.GetValues<ExecutionStatus>())
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllSandboxPairs))]
    public void Sandbox_transition_is_allowed_exactly_when_the_table_says_so(SandboxStatus from, SandboxStatus to)
    {
        var expected = SandboxAllowed.Contains((from, to));
        Assert.Equal(expected, LifecycleTransitions.IsAllowed(from, to));
        if (expected)
            LifecycleTransitions.EnsureAllowed(from, to);
        else
            Assert.Throws<InvalidOperationException>(() => LifecycleTransitions.EnsureAllowed(from, to));
    }

    [Theory]
    [MemberData(nameof(AllExecutionPairs))]
    public void Execution_transition_is_allowed_exactly_when_the_table_says_so(ExecutionStatus from, ExecutionStatus to)
    {
        var expected = ExecutionAllowed.Contains((from, to));
        Assert.Equal(expected, LifecycleTransitions.IsAllowed(from, to));
        if (expected)
            LifecycleTransitions.EnsureAllowed(from, to);
        else
            Assert.Throws<InvalidOperationException>(() => LifecycleTransitions.EnsureAllowed(from, to));
    }

    [Fact]
    public void Only_stopped_and_failed_sandboxes_are_terminal()
    {
        Assert.Equal(
            [SandboxStatus.Stopped, SandboxStatus.Failed],
            Enum.GetValues<SandboxStatus>().Where(LifecycleTransitions.IsTerminal));
    }

    [Fact]
    public void Status_names_round_trip_through_their_stored_text()
    {
        foreach (var status in Enum.GetValues<SandboxStatus>())
            Assert.Equal(status, StatusNames.ParseSandbox(StatusNames.Of(status)));
        foreach (var status in Enum.GetValues<ExecutionStatus>())
            Assert.Equal(status, StatusNames.ParseExecution(StatusNames.Of(status)));
        Assert.Equal("TIMED_OUT", StatusNames.Of(ExecutionStatus.TimedOut));
    }
}
