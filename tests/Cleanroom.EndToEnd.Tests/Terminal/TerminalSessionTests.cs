using System.Text.RegularExpressions;

namespace Cleanroom.EndToEnd.Tests.Terminal;

/// <summary>
/// <c>cleanroom console</c> and <c>exec -t</c> in a real terminal (tmux): the prompt, the window size at start and
/// after a resize, the command's exit code as the client's, the local terminal's settings restored on every way out
/// (including the server dying mid-session), and detach keys with <c>execution attach</c>.
/// </summary>
public sealed partial class TerminalSessionTests(SharedServer shared) : IAsyncLifetime, IClassFixture<SharedServer>
{
    private readonly RealServer _server = shared.Server;
    private TmuxTerminal _terminal = null!;

    private static string Basic => Path.Combine(Product.RepositoryRoot, "examples", "basic");

    public async Task InitializeAsync() => _terminal = await TmuxTerminal.StartAsync(_server.Environment, columns: 100, rows: 30);

    public async Task DisposeAsync()
    {
        await _terminal.DisposeAsync();
        await _server.RemoveSandboxesAsync();
    }

    [Fact]
    public async Task Console_gives_a_shell_that_follows_the_window_and_exits_with_its_code()
    {
        var before = await LocalSettingsAsync("before");
        var ended = await _terminal.StartAsync($"{Product.Cleanroom} console --chdir {Basic}; echo client-exit=$?");

        var at = await _terminal.WaitForAsync("42", await ShellIsReadyAsync());
        at = await _terminal.WaitForAsync("#", at); // the root shell's prompt, back after the answer
        await _terminal.TypeLineAsync("stty size");
        at = await _terminal.WaitForAsync("30 100", at);
        await _terminal.ResizeAsync(120, 40);
        await _terminal.TypeLineAsync("stty size");
        at = await _terminal.WaitForAsync("40 120", at);
        await _terminal.TypeLineAsync("exit 3");

        await ended();
        await _terminal.WaitForAsync("client-exit=3", at);
        Assert.Equal(before, await LocalSettingsAsync("after"));
    }

    [Fact]
    public async Task Exec_with_a_tty_runs_the_command_on_a_terminal_of_the_window_size()
    {
        var before = await LocalSettingsAsync("before");
        var ended = await _terminal.StartAsync(
            $"{Product.Cleanroom} exec -t --chdir {Basic} -- sh -c '[ -t 0 ] && echo on-a-\"\"tty; stty size; read x; stty size; exit 4'; echo client-exit=$?");

        var at = await _terminal.WaitForAsync("on-a-tty");
        at = await _terminal.WaitForAsync("30 100", at);
        await _terminal.ResizeAsync(90, 25);
        await _terminal.SendKeysAsync("Enter");
        at = await _terminal.WaitForAsync("25 90", at);

        await ended();
        await _terminal.WaitForAsync("client-exit=4", at);
        Assert.Equal(before, await LocalSettingsAsync("after"));
    }

    [Fact]
    public async Task The_local_terminal_is_restored_when_the_server_dies_mid_session()
    {
        var before = await LocalSettingsAsync("before");
        var ended = await _terminal.StartAsync($"{Product.Cleanroom} console --chdir {Basic}; echo client-exit=$?");
        var at = await _terminal.WaitForAsync("42", await ShellIsReadyAsync());

        await _server.KillAsync();

        await ended();
        at = await _terminal.WaitForAsync("client-exit=", at);
        Assert.DoesNotContain("client-exit=0", _terminal.Output[(at - "client-exit=".Length)..]);
        Assert.Equal(before, await LocalSettingsAsync("after"));
        // A new server adopts or cleans up what the killed one left, so disposal removes everything.
        var restarted = await _server.CleanroomAsync("serve", "--detach");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());
    }

    [Fact]
    public async Task Detach_keys_leave_the_command_running_and_execution_attach_comes_back_to_it()
    {
        var ended = await _terminal.StartAsync(
            $"{Product.Cleanroom} exec -t --chdir {Basic} -- sh -c 'echo wait\"\"ing; read x; echo got-$x; exit 6'; echo client-exit=$?");
        // The typed line shows wait""ing: only the command's own output matches.
        var at = await _terminal.WaitForAsync("waiting");

        await _terminal.SendKeysAsync("C-p", "C-q");
        await ended();
        at = await _terminal.WaitForAsync("client-exit=0", at);
        Assert.Contains("cleanroom: detached", _terminal.Output);

        var attached = await _terminal.StartAsync($"{Product.Cleanroom} execution attach --last; echo attach-exit=$?");
        await _terminal.TypeLineAsync("again");
        at = await _terminal.WaitForAsync("got-again", at);
        await attached();
        await _terminal.WaitForAsync("attach-exit=6", at);
    }

    /// <summary>Types an arithmetic the shell must evaluate (so its echo cannot match) and returns where to look for "42".</summary>
    private async Task<int> ShellIsReadyAsync()
    {
        var from = _terminal.Output.Length;
        await _terminal.TypeLineAsync("echo $((6*7))");
        return from;
    }

    /// <summary>The pane's terminal settings (stty -a) without the window size, which the tests change on purpose.</summary>
    private async Task<string> LocalSettingsAsync(string name)
    {
        var file = Path.Combine(_terminal.Directory, name);
        await _terminal.RunAndWaitAsync($"stty -a > {file}");
        return WindowSize().Replace(await File.ReadAllTextAsync(file), "");
    }

    [GeneratedRegex(@"rows \d+; columns \d+;")]
    private static partial Regex WindowSize();
}
