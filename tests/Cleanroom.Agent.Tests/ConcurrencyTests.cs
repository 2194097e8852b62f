using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class ConcurrencyTests : AgentTestBase
{
    [Fact]
    public async Task Concurrent_executions_each_get_their_own_output_and_exit_code()
    {
        var runs = Enumerable.Range(1, 12).Select(i => RunAsync(new ExecutionRequest(
            ["sh", "-c", "n=0; while [ $n -lt 200 ]; do echo \"$1-$n\"; n=$((n+1)); done; exit $1", "sh", i.ToString()])));

        var results = await Task.WhenAll(runs);

        for (var i = 1; i <= 12; i++)
        {
            var result = results[i - 1];
            Assert.Equal(i, result.Status.ExitCode);
            Assert.Equal(string.Concat(Enumerable.Range(0, 200).Select(n => $"{i}-{n}\n")), result.StdoutText);
        }
    }

    [Fact]
    public async Task A_stalled_execution_does_not_block_the_others()
    {
        var stalled = await Agent.StartAsync(Shell("head -c 20000000 /dev/zero"), Deadline);
        await TestDeadline.UntilAsync(() => stalled.OutputFlow.BytesReceived == stalled.OutputFlow.Window, "the first execution filled its window", Deadline);

        var other = await RunAsync(Shell("echo still responsive"));
        await Agent.PingAsync(Deadline);

        Assert.Equal("still responsive\n", other.StdoutText);
        await stalled.CancelAsync(TimeSpan.Zero, Deadline);
    }
}
