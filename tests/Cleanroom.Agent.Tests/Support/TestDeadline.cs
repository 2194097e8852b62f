namespace Cleanroom.Agent.Tests.Support;

/// <summary>A token that turns a hang into a failure instead of a stuck test run.</summary>
internal static class TestDeadline
{
    public static CancellationTokenSource Start(int seconds = 60) => new(TimeSpan.FromSeconds(seconds));

    /// <summary>
    /// Waits for a condition the code under test offers no event for (a counter), checking every few
    /// milliseconds, and fails at the deadline.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            if (cancellationToken.IsCancellationRequested)
                throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
