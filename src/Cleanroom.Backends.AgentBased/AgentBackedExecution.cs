using System.Text;
using System.Threading.Channels;
using Cleanroom.Agent.Client;
using Cleanroom.Errors;
using AgentChunk = Cleanroom.Agent.Client.OutputChunk;
using AgentStream = Cleanroom.Agent.Client.OutputStream;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// One command in a sandbox of an agent-based backend (gVisor, QEMU), as the control plane sees it: the agent's execution with its output
/// moved into the backend contract's types.
/// Memory stays bounded end to end: the agent sends at most its credit window, credit is returned only as
/// chunks are taken from the agent's reader, and this pump moves them into a small bounded channel, so a
/// control plane that stops reading stops the pump, the credit, and in the end the command's own writes.
/// </summary>
public sealed class AgentBackedExecution : IRunningExecution
{
    // Chunks, not bytes: each is at most one agent frame, and the agent's window bounds the bytes behind them.
    private const int OutputCapacity = 8;

    private readonly AgentExecution _agent;
    private readonly Channel<OutputChunk> _output = Channel.CreateBounded<OutputChunk>(
        new BoundedChannelOptions(OutputCapacity) { SingleReader = false, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abandoned = new();
    private int _stdinClosed;

    public AgentBackedExecution(AgentExecution agent)
    {
        _agent = agent;
        Completion = Task.Run(PumpAsync);
    }

    public ChannelReader<OutputChunk> Output => _output.Reader;

    public Task<ExitStatus> Completion { get; }

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _stdinClosed) != 0)
            throw new InvalidOperationException("stdin of this execution is already closed");
        try
        {
            await _agent.WriteStdinAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException e)
        {
            // The command exited or the sandbox is gone: to the caller, stdin is simply closed.
            throw new InvalidOperationException($"stdin of this execution is closed: {e.Message}", e);
        }
    }

    public async ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stdinClosed, 1) != 0 || Completion.IsCompleted)
            return;
        try
        {
            await _agent.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException)
        {
            // Already exited or gone: its stdin is as closed as it gets.
        }
    }

    public async Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        if (Completion.IsCompleted)
            return;
        try
        {
            await _agent.ResizeAsync(new Agent.Client.TerminalSize(size.Rows, size.Columns), cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException)
        {
            // Ended meanwhile: there is no terminal left to resize.
        }
    }

    public async Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (Completion.IsCompleted)
            return;
        try
        {
            await _agent.SignalAsync(signal, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException)
        {
            // The execution or the whole sandbox ended meanwhile: signalling an exited process does nothing.
        }
    }

    /// <summary>
    /// Stops delivering output. The command keeps running (terminate ends it); its remaining output is
    /// read and dropped so it is not stalled forever by a reader that has gone away.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        _abandoned.Cancel();
        return ValueTask.CompletedTask;
    }

    private async Task<ExitStatus> PumpAsync()
    {
        try
        {
            await foreach (var chunk in _agent.Output.ReadAllAsync().ConfigureAwait(false))
                await DeliverAsync(ToContract(chunk)).ConfigureAwait(false);
            var exit = await _agent.Exit.ConfigureAwait(false);
            if (exit.Failure is { } failure)
            {
                // The command never ran (not found, bad cwd, unknown user): say why where the user looks.
                await DeliverAsync(new OutputChunk(OutputStream.Stderr, Encoding.UTF8.GetBytes($"cleanroom: {failure.Message}\n"))).ConfigureAwait(false);
            }
            return exit.Signal is { } signal and > 0 ? ExitStatus.KilledBy(signal) : ExitStatus.Exited(exit.ExitCode);
        }
        catch (CleanroomException)
        {
            // The agent connection ended under the command: the sandbox was terminated or died, and the
            // agent kills every command as it goes. Reported as SIGKILL rather than a fault (contract).
            return ExitStatus.KilledBy(SignalNumbers.Kill);
        }
        finally
        {
            _output.Writer.TryComplete();
        }
    }

    private async ValueTask DeliverAsync(OutputChunk chunk)
    {
        if (_abandoned.IsCancellationRequested)
            return;
        try
        {
            await _output.Writer.WriteAsync(chunk, _abandoned.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Abandoned by the reader; drop.
        }
    }

    // The agent allocates each frame's payload afresh, so the memory can be handed on without a copy.
    private static OutputChunk ToContract(AgentChunk chunk) =>
        new(chunk.Stream == AgentStream.Stderr ? OutputStream.Stderr : OutputStream.Stdout, chunk.Data);
}
