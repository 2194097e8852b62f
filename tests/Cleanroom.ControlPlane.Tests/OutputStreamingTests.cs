using Cleanroom.TestDoubles;
using System.Text;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class OutputStreamingTests
{
    [Fact]
    public async Task Two_concurrent_followers_get_the_replay_then_live_output_then_the_exit()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "build"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        await process.WriteAsync(OutputStream.Stdout, "before-1 ");
        var first = new FollowerProbe(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));
        await first.WaitForTextAsync("before-1 ");
        await process.WriteAsync(OutputStream.Stderr, "warn ");
        var second = new FollowerProbe(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));
        await second.WaitForTextAsync("before-1 warn ");

        await process.WriteAsync(OutputStream.Stdout, "live-2 ");
        await first.WaitForTextAsync("before-1 warn live-2 ");
        await second.WaitForTextAsync("before-1 warn live-2 ");
        process.Exit(ExitStatus.Exited(0));

        var firstItems = await first.Completed;
        var secondItems = await second.Completed;
        foreach (var items in new[] { firstItems, secondItems })
        {
            Assert.Equal("before-1 live-2 ", Text(items, OutputStream.Stdout));
            Assert.Equal("warn ", Text(items, OutputStream.Stderr));
            var exit = Assert.IsType<ExecutionExited>(items[^1]);
            Assert.Equal(ExecutionStatus.Succeeded, exit.Execution.Status);
            Assert.Equal(new OutputSummary(16, 16), exit.Execution.Stdout);
        }
        Assert.Equal(Describe(firstItems), Describe(secondItems));
    }

    [Fact]
    public async Task Replay_keeps_the_order_in_which_stdout_and_stderr_were_written()
    {
        await using var h = await StartAsync(new HostProcessBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);
        var script = "echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; exit 4";
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sh", "-c", script), CancellationToken.None);
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);

        var items = await CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));

        Assert.Equal(["stdout:out1\n", "stderr:err1\n", "stdout:out2\n", "exit:FAILED:4"], Describe(items));
    }

    [Fact]
    public async Task Output_past_the_retention_limit_is_cut_marked_and_counted()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, maxRetainedBytes: 10);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "chatty"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        await process.WriteAsync(OutputStream.Stdout, "0123456");
        await process.WriteAsync(OutputStream.Stdout, "789abcdef");
        await process.WriteAsync(OutputStream.Stderr, "short");
        await process.WriteAsync(OutputStream.Stdout, "more that is dropped");
        process.Exit(ExitStatus.Exited(0));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        var items = await CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));

        Assert.Equal("0123456789", Text(items, OutputStream.Stdout));
        Assert.Equal("short", Text(items, OutputStream.Stderr));
        var marker = Assert.Single(items.OfType<ExecutionOutputTruncated>());
        Assert.Equal(new ExecutionOutputTruncated(OutputStream.Stdout, 10), marker);
        var final = ((ExecutionExited)items[^1]).Execution;
        Assert.Equal(new OutputSummary(36, 10), final.Stdout);
        Assert.True(final.Stdout!.Truncated);
        Assert.False(final.Stderr!.Truncated);
    }

    [Fact]
    public async Task A_follower_attached_while_it_runs_gets_all_output_also_past_the_retention_limit()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, maxRetainedBytes: 10);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "chatty"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();
        await process.WriteAsync(OutputStream.Stdout, "0123456");
        var follower = CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));

        await process.WriteAsync(OutputStream.Stdout, "789abcdef");
        await process.WriteAsync(OutputStream.Stdout, "more past the limit");
        process.Exit(ExitStatus.Exited(0));
        var items = await follower;

        Assert.Equal("0123456789abcdefmore past the limit", Text(items, OutputStream.Stdout));
        var replay = await CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));
        Assert.Equal("0123456789", Text(replay, OutputStream.Stdout));
    }

    [Fact]
    public async Task Output_is_stored_per_execution_under_the_state_directory()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "x"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();
        await process.WriteAsync(OutputStream.Stdout, "kept on disk");
        process.Exit(ExitStatus.Exited(0));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);

        var path = Path.Combine(h.StateDirectory, "executions", execution.Id, "output.log");
        Assert.Contains("kept on disk", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path)));
    }

    internal static List<string> Describe(IEnumerable<ExecutionStreamItem> items) => items.Select(item => item switch
    {
        ExecutionOutput o => $"{o.Stream.ToString().ToLowerInvariant()}:{Encoding.UTF8.GetString(o.Data.Span)}",
        ExecutionOutputTruncated t => $"truncated:{t.Stream}:{t.RetainedBytes}",
        ExecutionExited e => $"exit:{StatusNames.Of(e.Execution.Status)}:{e.Execution.ExitCode}",
        _ => throw new InvalidOperationException(),
    }).ToList();

    /// <summary>Consumes a stream in the background and lets the test wait until given text has arrived.</summary>
    private sealed class FollowerProbe
    {
        private readonly List<ExecutionStreamItem> _items = [];
        private readonly SemaphoreSlim _arrived = new(0);

        public FollowerProbe(IAsyncEnumerable<ExecutionStreamItem> stream) => Completed = ConsumeAsync(stream);

        public Task<List<ExecutionStreamItem>> Completed { get; }

        public async Task WaitForTextAsync(string text)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                lock (_items)
                {
                    var seen = string.Concat(_items.OfType<ExecutionOutput>().Select(o => Encoding.UTF8.GetString(o.Data.Span)));
                    if (seen == text)
                        return;
                    Assert.StartsWith(seen, text);
                }
                await _arrived.WaitAsync(timeout.Token);
            }
        }

        private async Task<List<ExecutionStreamItem>> ConsumeAsync(IAsyncEnumerable<ExecutionStreamItem> stream)
        {
            await Task.Yield();
            await foreach (var item in stream)
            {
                lock (_items) _items.Add(item);
                _arrived.Release();
            }
            lock (_items) return _items.ToList();
        }
    }
}
