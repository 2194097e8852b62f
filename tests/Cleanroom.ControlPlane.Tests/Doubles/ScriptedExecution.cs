using System.Text;
using System.Threading.Channels;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Tests.Doubles;

/// <summary>
/// An execution the test drives by hand: it writes output and exits when told, records the signals it
/// gets, and reacts to them like a process would (SIGKILL always kills; SIGTERM kills unless ignored).
/// </summary>
internal sealed class ScriptedExecution : IRunningExecution
{
    private readonly Channel<OutputChunk> _output = Channel.CreateBounded<OutputChunk>(16);
    private readonly TaskCompletionSource<ExitStatus> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _signals = [];
    private readonly Dictionary<int, TaskCompletionSource> _signalSeen = [];
    private readonly MemoryStream _stdin = new();
    private readonly TaskCompletionSource _stdinClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedExecution(ExecutionSpec spec, bool ignoresSigterm)
    {
        Spec = spec;
        IgnoresSigterm = ignoresSigterm;
    }

    public ExecutionSpec Spec { get; }
    public bool IgnoresSigterm { get; }
    public ChannelReader<OutputChunk> Output => _output.Reader;
    public Task<ExitStatus> Completion => _completion.Task;
    public Task StdinClosed => _stdinClosed.Task;

    public IReadOnlyList<int> Signals
    {
        get { lock (_signals) return _signals.ToArray(); }
    }

    public string StdinText
    {
        get { lock (_stdin) return Encoding.UTF8.GetString(_stdin.ToArray()); }
    }

    public Task WriteAsync(OutputStream stream, string text) =>
        _output.Writer.WriteAsync(new OutputChunk(stream, Encoding.UTF8.GetBytes(text))).AsTask();

    public Task WriteAsync(OutputStream stream, byte[] data) => _output.Writer.WriteAsync(new OutputChunk(stream, data)).AsTask();

    public void Exit(ExitStatus status)
    {
        _output.Writer.TryComplete();
        _completion.TrySetResult(status);
    }

    /// <summary>Completes when the execution has received <paramref name="signal"/>.</summary>
    public Task SignalReceived(int signal)
    {
        lock (_signals) return SeenSource(signal).Task;
    }

    /// <summary>Every resize the control plane passed on, in order.</summary>
    public List<TerminalSize> Resizes { get; } = [];

    public Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        lock (Resizes) Resizes.Add(size);
        return Task.CompletedTask;
    }

    public Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        lock (_signals)
        {
            _signals.Add(signal);
            SeenSource(signal).TrySetResult();
        }
        if (signal == SignalNumbers.Kill || (signal == SignalNumbers.Terminate && !IgnoresSigterm))
            Exit(ExitStatus.KilledBy(signal));
        return Task.CompletedTask;
    }

    public ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_stdinClosed.Task.IsCompleted)
            throw new IOException("stdin is closed");
        lock (_stdin) _stdin.Write(data.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        _stdinClosed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private TaskCompletionSource SeenSource(int signal)
    {
        if (!_signalSeen.TryGetValue(signal, out var source))
            _signalSeen[signal] = source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return source;
    }
}
