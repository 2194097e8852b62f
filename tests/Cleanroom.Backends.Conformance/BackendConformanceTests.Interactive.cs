using System.Text;

namespace Cleanroom.Backends.Conformance;

// Live sessions: stdin as it arrives, terminals with their size, resize and end of input.
public abstract partial class BackendConformanceTests
{
    [BackendFact]
    public async Task Stdin_is_live_each_line_is_answered_before_the_next_is_sent()
    {
        var sandbox = await NewSandboxAsync();
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec
        {
            Argv = ["sh", "-c", "while read -r line; do echo \"re:$line\"; done; echo eof"],
            Stdin = true,
        }, deadline.Token);
        var output = new OutputText(execution);

        for (var i = 0; i < 20; i++)
        {
            await execution.WriteStdinAsync(Encoding.UTF8.GetBytes($"line {i}\n"), deadline.Token);
            await output.WaitForAsync($"re:line {i}\n", deadline.Token);
        }

        await execution.CloseStdinAsync(deadline.Token);
        await output.WaitForAsync("eof\n", deadline.Token);
        Assert.Equal(ExitStatus.Exited(0), await execution.Completion.WaitAsync(deadline.Token));
    }

    [BackendFact]
    public async Task A_terminal_has_the_requested_size_and_follows_a_resize()
    {
        var sandbox = await NewSandboxAsync();
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec
        {
            Argv = ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo \"size $(stty size)\"; read -r x; echo \"size $(stty size)\"; exit 5"],
            Tty = true,
            Stdin = true,
            TerminalSize = new TerminalSize(30, 100),
        }, deadline.Token);
        var output = new OutputText(execution);

        await output.WaitForAsync("size 30 100", deadline.Token);
        await execution.ResizeAsync(new TerminalSize(40, 120), deadline.Token);
        await execution.WriteStdinAsync("\n"u8.ToArray(), deadline.Token);
        await output.WaitForAsync("size 40 120", deadline.Token);

        Assert.Equal(ExitStatus.Exited(5), await execution.Completion.WaitAsync(deadline.Token));
        Assert.Contains("on-a-tty", output.Text);
    }

    [BackendFact]
    public async Task End_of_input_on_a_terminal_ends_a_command_that_reads_it()
    {
        var sandbox = await NewSandboxAsync();
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec
        {
            Argv = ["cat"],
            Tty = true,
            Stdin = true,
        }, deadline.Token);
        var output = new OutputText(execution);

        await execution.WriteStdinAsync("typed\n"u8.ToArray(), deadline.Token);
        await output.WaitForAsync("typed", deadline.Token);
        await execution.CloseStdinAsync(deadline.Token);

        Assert.Equal(ExitStatus.Exited(0), await execution.Completion.WaitAsync(deadline.Token));
    }

    /// <summary>An execution's output as text, read as it comes, with a wait for a piece of it.</summary>
    private sealed class OutputText(IRunningExecution execution)
    {
        private readonly StringBuilder _text = new();

        public string Text => _text.ToString();

        public async Task WaitForAsync(string expected, CancellationToken cancellationToken)
        {
            while (!_text.ToString().Contains(expected, StringComparison.Ordinal))
            {
                if (!await execution.Output.WaitToReadAsync(cancellationToken))
                {
                    Assert.Fail($"the output ended without '{expected}'; it was: {_text}");
                }

                while (execution.Output.TryRead(out var chunk))
                {
                    _text.Append(Encoding.UTF8.GetString(chunk.Data.Span));
                }
            }
        }
    }
}
