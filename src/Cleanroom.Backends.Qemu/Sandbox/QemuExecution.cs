using System.Text;
using System.Threading.Channels;
using Cleanroom.Agent.Client;
using Cleanroom.Errors;
using AgentStream = Cleanroom.Agent.Client.OutputStream;

namespace Cleanroom.Backends.Qemu.Sandbox;

/// <summary>
/// One command in a VM as the control plane sees it: the agent's execution with its output moved into the
/// contract's types through a small bounded channel. Credit goes back to the agent only as chunks are taken,
/// so a control plane that stops reading stops the command's writes, not the host's memory.
/// </summary>
internal sealed class QemuExecution : IRunningExecution
{
    private const int OutputCapacity = 8; // chunks; the agent's credit window bounds the bytes behind them

    private readonly AgentExecution _agent;
    private readonly Channel<OutputChunk> _output = Channel.CreateBounded<OutputChunk>(
        new BoundedChannelOptions(OutputCapacity) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abandoned = new();
    private int _stdinClosed;

    public QemuExecution(AgentExecution agent)
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
            // Exited or gone: its stdin is as closed as it gets.
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
            // The command or the whole VM ended meanwhile: signalling an exited process does nothing.
        }
    }

    /// <summary>Stops delivering output; what remains is read and dropped so the command is not stalled forever.</summary>
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
                await DeliverAsync(new OutputChunk(chunk.Stream == AgentStream.Stderr ? OutputStream.Stderr : OutputStream.Stdout, chunk.Data)).ConfigureAwait(false);
            var exit = await _agent.Exit.ConfigureAwait(false);
            if (exit.Failure is { } failure)
                await DeliverAsync(new OutputChunk(OutputStream.Stderr, Encoding.UTF8.GetBytes($"cleanroom: {failure.Message}\n"))).ConfigureAwait(false);
            return exit.Signal is { } signal and > 0 ? ExitStatus.KilledBy(signal) : ExitStatus.Exited(exit.ExitCode);
        }
        catch (CleanroomException)
        {
            // The agent connection ended under the command: the VM was terminated or died, taking the command
            // with it. Reported as SIGKILL rather than a fault (the contract).
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
}
