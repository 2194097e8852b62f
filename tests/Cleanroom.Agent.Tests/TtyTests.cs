using System.Text;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class TtyTests : AgentTestBase
{
    [PtyFact]
    public async Task Tty_execution_runs_on_a_pseudo_terminal()
    {
        var result = await RunAsync(new ExecutionRequest(["tty"]) { Tty = true });

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Matches(@"^/dev/pts/\d+\r?\n$", result.StdoutText);
        Assert.Empty(result.Stderr); // a pty merges stderr into stdout
    }

    [PtyFact]
    public async Task Tty_is_the_controlling_terminal_with_the_requested_size()
    {
        var result = await RunAsync(new ExecutionRequest(["sh", "-c", "stty size < /dev/tty"]) { Tty = true, TerminalSize = new(33, 101) });

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Equal("33 101", result.StdoutText.Trim());
    }

    [PtyFact]
    public async Task Resize_changes_the_terminal_size()
    {
        var execution = await Agent.StartAsync(new ExecutionRequest(["sh", "-c", "read line; stty size"]) { Tty = true, Stdin = true }, Deadline);
        var collecting = CollectedOutput.CollectAsync(execution, Deadline);

        await execution.ResizeAsync(new TerminalSize(50, 132), Deadline);
        await execution.WriteStdinAsync(Encoding.UTF8.GetBytes("go\n"), Deadline);
        var result = await collecting;

        Assert.Equal(0, result.Status.ExitCode);
        Assert.EndsWith("50 132", result.StdoutText.Trim());
    }

    [PtyFact]
    public async Task Closing_stdin_of_a_tty_sends_end_of_file()
    {
        var execution = await Agent.StartAsync(new ExecutionRequest(["sh", "-c", "cat > /dev/null; echo finished"]) { Tty = true, Stdin = true }, Deadline);
        var collecting = CollectedOutput.CollectAsync(execution, Deadline);

        await execution.WriteStdinAsync(Encoding.UTF8.GetBytes("partial line without newline"), Deadline);
        await execution.CloseStdinAsync(Deadline);
        var result = await collecting;

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Contains("finished", result.StdoutText);
    }
}
