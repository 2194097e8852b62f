using System.Text;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class OutputStreamingTests : AgentTestBase
{
    private const int Window = 256 * 1024;

    protected override AgentConnectionOptions? Options => new() { OutputWindow = Window };

    [Fact]
    public async Task Stdout_and_stderr_stay_apart_and_each_in_order()
    {
        var result = await RunAsync(Shell("i=1; while [ $i -le 500 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"));

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Equal(Lines("out", 500), result.StdoutText);
        Assert.Equal(Lines("err", 500), result.StderrText);
    }

    [Fact]
    public async Task Fifty_megabytes_arrive_complete_and_in_order_within_the_window()
    {
        const long total = 50L * 1024 * 1024;
        // Every 8-byte record is its own offset, so a lost, repeated or reordered chunk shows up.
        var execution = await Agent.StartAsync(Shell($"awk 'BEGIN {{ for (i = 0; i < {total / 8}; i++) printf \"%07x\\n\", i }}'"), Deadline);

        long received = 0;
        var record = new StringBuilder(8);
        var reads = 0;
        await foreach (var chunk in execution.Output.ReadAllAsync(Deadline))
        {
            Assert.Equal(OutputStream.Stdout, chunk.Stream);
            foreach (var b in chunk.Data.Span)
            {
                record.Append((char)b);
                if (record.Length == 8)
                {
                    Assert.Equal($"{received / 8:x7}\n", record.ToString());
                    received += 8;
                    record.Clear();
                }
            }
            // A slow consumer: let the agent run ahead as far as the window allows.
            if (++reads % 16 == 0)
                await Task.Delay(1, Deadline);
        }
        var status = await execution.Exit.WaitAsync(Deadline);

        Assert.Equal(0, status.ExitCode);
        Assert.Equal(total, received);
        var flow = execution.OutputFlow;
        Assert.Equal(total, flow.BytesReceived);
        Assert.InRange(flow.PeakBuffered, 1, Window);
        // Credit flowed back as the consumer read: without it the agent could not have sent more than one window.
        Assert.True(flow.CreditGranted >= total, $"granted {flow.CreditGranted}");
    }

    [Fact]
    public async Task Unread_output_stalls_the_command_at_the_window()
    {
        const int total = 4 * 1024 * 1024;
        var execution = await Agent.StartAsync(Shell($"head -c {total} /dev/zero; echo done >&2"), Deadline);

        // Read nothing: the agent must stop at exactly one window (the client fails the connection if it sends more).
        await TestDeadline.UntilAsync(() => execution.OutputFlow.BytesReceived == Window, "a full window arrived", Deadline);
        await Agent.PingAsync(Deadline); // anything sent before the pong has arrived by now
        Assert.Equal(Window, execution.OutputFlow.BytesReceived);
        Assert.False(execution.Exit.IsCompleted);

        var result = await CollectedOutput.CollectAsync(execution, Deadline);
        Assert.Equal(total, result.Stdout.Length);
        Assert.Equal("done\n", result.StderrText);
        Assert.InRange(execution.OutputFlow.PeakBuffered, Window, Window);
    }

    [Fact]
    public async Task Output_of_a_background_process_that_keeps_the_pipe_open_does_not_hold_the_exit_for_ever()
    {
        var result = await RunAsync(Shell("sleep 60 & echo $!"));
        var background = int.Parse(result.StdoutText.Trim());
        try
        {
            Assert.Equal(0, result.Status.ExitCode);
            Assert.False(System.Diagnostics.Process.GetProcessById(background).HasExited); // it still holds the pipe
        }
        finally
        {
            // Outside PID 1 nobody else would end it.
            System.Diagnostics.Process.GetProcessById(background).Kill();
        }
    }

    private static string Lines(string prefix, int count) =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"{prefix}{i}\n"));
}
