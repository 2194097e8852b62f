using System.Text;

namespace Cleanroom.EndToEnd.Tests.Terminal;

/// <summary>
/// A real terminal for the CLI: a detached tmux session running an interactive bash, driven by send-keys. Everything
/// the pane shows is copied into a FIFO (pipe-pane) that the test reads as a stream, so waiting for output is waiting
/// on a read, not polling the screen. Commands typed with <see cref="RunAndWaitAsync"/> end with <c>tmux wait-for</c>,
/// so the test knows when the shell is back. Disposal kills the session (and so everything it started).
/// </summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private readonly string _session;
    private readonly string _directory;
    private readonly StringBuilder _screen = new();
    private readonly SemaphoreSlim _changed = new(0);
    private Task _reader = Task.CompletedTask;
    private int _signals;

    private TmuxTerminal(string session, string directory)
    {
        _session = session;
        _directory = directory;
    }

    /// <summary>What the pane printed so far, escape sequences included.</summary>
    public string Output
    {
        get
        {
            lock (_screen)
                return _screen.ToString();
        }
    }

    public string Directory => _directory;

    public static async Task<TmuxTerminal> StartAsync(IReadOnlyDictionary<string, string> environment, int columns = 100, int rows = 30)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("cleanroom-tty-").FullName;
        var session = "cleanroom-e2e-" + Path.GetFileName(directory);
        var fifo = Path.Combine(directory, "pane");
        await Shell.CheckAsync("mkfifo", fifo);
        List<string> argv = ["tmux", "new-session", "-d", "-s", session, "-x", columns.ToString(), "-y", rows.ToString()];
        foreach (var (name, value) in environment)
            argv.AddRange(["-e", $"{name}={value}"]);
        argv.AddRange(["bash", "--norc", "--noprofile"]);
        await Shell.CheckAsync([.. argv]);
        var terminal = new TmuxTerminal(session, directory);
        terminal._reader = Task.Factory.StartNew(() => terminal.ReadPane(fifo), TaskCreationOptions.LongRunning);
        // Opening the FIFO for reading waits for tmux's writer, so start the reader before piping.
        await Shell.CheckAsync("tmux", "pipe-pane", "-t", session, "-o", $"cat > {fifo}");
        return terminal;
    }

    private void ReadPane(string fifo)
    {
        using var stream = new FileStream(fifo, FileMode.Open, FileAccess.Read);
        var buffer = new byte[4096];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            lock (_screen)
                _screen.Append(Encoding.UTF8.GetString(buffer, 0, read));
            _changed.Release();
        }
        _changed.Release();
    }

    /// <summary>Types the text (tmux key names allowed, e.g. "Enter", "C-p") into the pane.</summary>
    public Task SendKeysAsync(params string[] keys) => Shell.CheckAsync(["tmux", "send-keys", "-t", _session, .. keys]);

    /// <summary>Types literal text, then Enter.</summary>
    public Task TypeLineAsync(string line) => SendKeysAsync("-l", line).ContinueWith(_ => SendKeysAsync("Enter")).Unwrap();

    /// <summary>Types a shell command line for the pane's bash and waits until it has run to the end.</summary>
    public async Task RunAndWaitAsync(string commandLine, TimeSpan? timeout = null)
    {
        var channel = $"{_session}-{Interlocked.Increment(ref _signals)}";
        await TypeLineAsync($"{commandLine}; tmux wait-for -S {channel}");
        await Shell.RunAsync(["tmux", "wait-for", channel], timeout: timeout ?? TimeSpan.FromMinutes(2));
    }

    /// <summary>Starts a shell command line in the pane's bash and returns the wait-for channel that says it ended.</summary>
    public async Task<Func<Task>> StartAsync(string commandLine)
    {
        var channel = $"{_session}-{Interlocked.Increment(ref _signals)}";
        await TypeLineAsync($"{commandLine}; tmux wait-for -S {channel}");
        return () => Shell.RunAsync(["tmux", "wait-for", channel], timeout: TimeSpan.FromMinutes(2));
    }

    /// <summary>Waits until the pane has printed <paramref name="text"/> after position <paramref name="from"/>.</summary>
    public async Task<int> WaitForAsync(string text, int from = 0, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var output = Output;
            var at = output.IndexOf(text, Math.Min(from, output.Length), StringComparison.Ordinal);
            if (at >= 0)
                return at + text.Length;
            if (_reader.IsCompleted)
                throw new InvalidOperationException($"the pane closed without '{text}'; it showed: {output}");
            try
            {
                await _changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the pane did not show '{text}'; it showed: {Output}");
            }
        }
    }

    public Task ResizeAsync(int columns, int rows) =>
        Shell.CheckAsync("tmux", "resize-window", "-t", _session, "-x", columns.ToString(), "-y", rows.ToString());

    /// <summary>What the pane shows now, as text.</summary>
    public Task<string> CaptureAsync() => Shell.CheckAsync("tmux", "capture-pane", "-p", "-t", _session);

    public async ValueTask DisposeAsync()
    {
        await Shell.RunAsync(["tmux", "kill-session", "-t", _session]);
        await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}
