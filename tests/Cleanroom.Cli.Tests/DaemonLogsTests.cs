using System.Diagnostics;
using System.Text;

namespace Cleanroom.Cli.Tests;

/// <summary>
/// <c>daemon logs</c> reads the service's entries with the real journalctl, from a real journal written here by
/// systemd-journal-remote (<c>--journal-directory</c>): no running systemd needed, and the host's journal is never
/// touched. Without that flag on a host without systemd, it says systemd is not running.
/// </summary>
public sealed class DaemonLogsTests : IDisposable
{
    private const string JournalRemote = "/lib/systemd/systemd-journal-remote";
    private readonly TempDirectory _root = new();
    private readonly string _journal;

    public DaemonLogsTests() => _journal = Directory.CreateDirectory(Path.Combine(_root.Path, "journal")).FullName;

    public void Dispose() => _root.Dispose();

    private Dictionary<string, string> Environment => new() { ["HOME"] = _root.Path };

    /// <summary>Writes entries (unit, message) into a new journal file of the test's directory, in journal export format.</summary>
    private async Task WriteEntriesAsync(string file, params (string Unit, string Message)[] entries)
    {
        var export = new StringBuilder();
        var microseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        // journalctl --follow shows the journal's current boot only, so the entries carry one.
        var boot = (await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id")).Trim().Replace("-", "");
        foreach (var (unit, message) in entries)
        {
            export.Append($"__REALTIME_TIMESTAMP={microseconds++}\n_BOOT_ID={boot}\n_SYSTEMD_UNIT={unit}\nSYSLOG_IDENTIFIER=cleanroom\nPRIORITY=6\nMESSAGE={message}\n\n");
        }
        var start = new ProcessStartInfo(JournalRemote) { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-o", Path.Combine(_journal, file), "-" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(export.ToString());
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
    }

    [Fact]
    public async Task The_last_entries_of_the_service_are_shown_and_other_units_left_out()
    {
        await WriteEntriesAsync("a.journal", ("cleanroom.service", "serving on unix:///run/cleanroom/cleanroom.sock"),
            ("other.service", "not ours"), ("cleanroom.service", "re-adopted 3 sandboxes"), ("cleanroom.service", "sandbox sb-1 is READY"));

        var run = await CliRun.InvokeAsync(_root.Path, Environment, "daemon", "logs", "-n", "2", "--journal-directory", _journal);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("re-adopted 3 sandboxes", run.Out);
        Assert.Contains("sandbox sb-1 is READY", run.Out);
        Assert.DoesNotContain("serving on", run.Out);
        Assert.DoesNotContain("not ours", run.Out);
    }

    [Fact]
    public async Task Follow_shows_entries_written_after_it_started_until_interrupted()
    {
        await WriteEntriesAsync("a.journal", ("cleanroom.service", "before the follow"));
        var output = new WatchedWriter();
        var console = new CliConsole(output, new StringWriter(), name => Environment.GetValueOrDefault(name), _root.Path);
        using var interrupt = new CancellationTokenSource();

        var following = CliApplication.RunAsync(["daemon", "logs", "-f", "-n", "1", "--journal-directory", _journal], console, interrupt.Token);
        await output.Shows("before the follow").WaitAsync(TimeSpan.FromMinutes(1));
        await WriteEntriesAsync("b.journal", ("cleanroom.service", "after the follow began"));
        await output.Shows("after the follow began").WaitAsync(TimeSpan.FromMinutes(1));
        await interrupt.CancelAsync();

        Assert.Equal(0, await following);
    }

    /// <summary>Captured output that completes a task once it contains a text (the CLI flushes after every write).</summary>
    private sealed class WatchedWriter : StringWriter
    {
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiting = [];

        public Task Shows(string text)
        {
            lock (_waiting)
            {
                if (ToString().Contains(text)) return Task.CompletedTask;
                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((text, seen));
                return seen.Task;
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_waiting) base.Write(buffer, index, count);
        }

        public override void Flush()
        {
            lock (_waiting)
            {
                var text = ToString();
                foreach (var waiter in _waiting.Where(w => text.Contains(w.Text)).ToList())
                {
                    waiter.Seen.TrySetResult();
                    _waiting.Remove(waiter);
                }
            }
        }
    }

    [Fact]
    public async Task Bad_input_and_a_host_without_systemd_get_clear_errors()
    {
        var negative = await CliRun.InvokeAsync(_root.Path, Environment, "daemon", "logs", "-n", "-1", "--journal-directory", _journal);
        var missing = await CliRun.InvokeAsync(_root.Path, Environment, "daemon", "logs", "--journal-directory", Path.Combine(_root.Path, "absent"));

        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("invalid_argument", negative.Error);
        Assert.Contains("does not exist", missing.Error);
        if (!Directory.Exists("/run/systemd/system"))
        {
            var noSystemd = await CliRun.InvokeAsync(_root.Path, Environment, "daemon", "logs");
            Assert.Equal(1, noSystemd.ExitCode);
            Assert.Contains("systemd_unavailable: systemd is not running on this host", noSystemd.Error);
            var restart = await CliRun.InvokeAsync(_root.Path, Environment, "daemon", "restart");
            Assert.Contains("systemd_unavailable", restart.Error);
        }
    }
}
