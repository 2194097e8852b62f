using System.Runtime.InteropServices;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Terminal;
using Cleanroom.Errors;
using Google.Protobuf;

namespace Cleanroom.Cli.Client;

/// <summary>How a session treats this process's terminal and stdin.</summary>
/// <param name="Tty">The execution runs on a terminal: the local one goes raw, its size follows the window.</param>
/// <param name="ForwardStdin">This process's stdin goes to the workload as it arrives, and its end as EOF.</param>
/// <param name="DetachKeys">On a terminal, the keys that leave the session with the command still running.</param>
internal sealed record AttachMode(bool Tty, bool ForwardStdin, DetachKeys DetachKeys);

/// <summary>How an attached session ended: the workload's exit, or the client leaving it running.</summary>
internal sealed record AttachOutcome(string SandboxId, string ExecutionId, DateTimeOffset OpenedAt, ExecutionExit? Exit, int ExitCode);

/// <summary>
/// One AttachExecution call from the client's side: sends the first request, then this process's stdin, window
/// resizes and (without a terminal) Ctrl-C as cancel, while the workload's output is written to stdout and stderr.
/// The local terminal is put back as it was on every way out: the command's exit, the server going away, a
/// detach, an exception, or SIGTERM/SIGHUP/SIGQUIT to this process.
/// </summary>
internal sealed class AttachedSession : IDisposable
{
    private const int StdinChunkBytes = 32 * 1024;

    private readonly CliConsole _console;
    private readonly CleanroomClient _client;
    private readonly AttachMode _mode;
    private readonly CancellationTokenSource _session;
    private readonly SemaphoreSlim _sendOrder = new(1, 1);
    private readonly List<PosixSignalRegistration> _signals = [];
    private Grpc.Core.AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent>? _call;
    private RawMode? _raw;
    private string _executionId = "";
    private string _sandboxId = "";
    private int _interrupts;
    private volatile Ending _ending = Ending.None;
    private int _endingSignal;

    public AttachedSession(CliConsole console, CleanroomClient client, AttachMode mode, CancellationToken cancellationToken)
    {
        _console = console;
        _client = client;
        _mode = mode;
        _session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    private enum Ending
    {
        None,
        DetachKeys,
        SecondInterrupt,
        Signal,
    }

    public async Task<AttachOutcome> RunAsync(AttachExecutionRequest first)
    {
        // Taken before the request: what the workload does (blocked egress, say) happens after this moment.
        var openedAt = DateTimeOffset.UtcNow;
        _call = _client.Executions.AttachExecution(cancellationToken: _session.Token);
        await _call.RequestStream.WriteAsync(first);
        // Nothing local changes before the server has accepted the session: a refused create leaves the terminal alone.
        if (!await _call.ResponseStream.MoveNext(_session.Token))
        {
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, "the server ended the session before it opened");
        }

        var opening = _call.ResponseStream.Current;
        _executionId = opening.ExecutionId;
        _sandboxId = opening.SandboxId;
        try
        {
            if (_mode.Tty && _console.InteractiveProcess)
            {
                _raw = LocalTerminal.EnterRawMode();
                await SendResizeAsync();
            }

            InstallSignalHandlers();
            var stdin = _mode.ForwardStdin && _console.RawIn is { } input ? PumpStdinAsync(input) : Task.CompletedTask;
            _ = stdin.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            var exit = await ReadOutputAsync();
            return new AttachOutcome(_sandboxId, _executionId, openedAt, exit, exit is null ? 0 : WorkloadExit.CodeFor(exit));
        }
        catch (Exception e) when (_ending != Ending.None && e is OperationCanceledException or CleanroomException)
        {
            _raw?.Restore();
            return Left();
        }
        finally
        {
            _raw?.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }

        _call?.Dispose();
        _session.Dispose();
        _sendOrder.Dispose();
    }

    private AttachOutcome Left()
    {
        var code = _ending switch
        {
            Ending.DetachKeys => 0,
            Ending.SecondInterrupt => WorkloadExit.Interrupted,
            _ => 128 + _endingSignal,
        };
        if (_ending != Ending.Signal)
        {
            _console.Error.WriteLine($"cleanroom: detached; execution {_executionId} goes on in sandbox {_sandboxId} (cleanroom execution attach {_executionId})");
        }

        return new AttachOutcome(_sandboxId, _executionId, DateTimeOffset.UtcNow, null, code);
    }

    private async Task<ExecutionExit?> ReadOutputAsync()
    {
        while (await _call!.ResponseStream.MoveNext(_session.Token))
        {
            var item = _call.ResponseStream.Current;
            switch (item.PayloadCase)
            {
                case ExecutionStreamEvent.PayloadOneofCase.Stdout:
                    await _console.RawOut.WriteAsync(item.Stdout.Memory, _session.Token);
                    await _console.RawOut.FlushAsync(_session.Token);
                    break;
                case ExecutionStreamEvent.PayloadOneofCase.Stderr:
                    await _console.RawError.WriteAsync(item.Stderr.Memory, _session.Token);
                    await _console.RawError.FlushAsync(_session.Token);
                    break;
                case ExecutionStreamEvent.PayloadOneofCase.Message:
                    _console.Error.Write($"cleanroom: {item.Message}{(_raw is null ? "\n" : "\r\n")}");
                    break;
                case ExecutionStreamEvent.PayloadOneofCase.Exit:
                    _raw?.Restore();
                    if (!string.IsNullOrEmpty(item.Exit.Message))
                    {
                        _console.Error.WriteLine($"cleanroom: execution {_executionId} {item.Exit.Status}: {item.Exit.Message}");
                    }

                    return item.Exit;
            }
        }

        throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"the output stream of {_executionId} ended without an exit");
    }

    private async Task PumpStdinAsync(Stream input)
    {
        var buffer = new byte[StdinChunkBytes];
        while (!_session.IsCancellationRequested)
        {
            var read = await input.ReadAsync(buffer, _session.Token);
            if (read == 0)
            {
                await SendAsync(new AttachExecutionRequest { CloseStdin = true });
                return;
            }

            var data = buffer.AsSpan(0, read);
            if (_mode.Tty && _console.InputIsTerminal)
            {
                var (forward, detach) = _mode.DetachKeys.Scan(data);
                if (forward.Length > 0)
                {
                    await SendAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFrom(forward) });
                }

                if (detach)
                {
                    Leave(Ending.DetachKeys);
                    return;
                }

                continue;
            }

            await SendAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFrom(data) });
        }
    }

    private void InstallSignalHandlers()
    {
        if (!_console.InteractiveProcess)
        {
            return;
        }

        if (_mode.Tty)
        {
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context => { _ = SendResizeQuietlyAsync(); }));
        }
        else
        {
            // Without a terminal Ctrl-C reaches this process, not the workload: once cancels, twice detaches.
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                if (Interlocked.Increment(ref _interrupts) == 1)
                {
                    _console.Error.WriteLine("cleanroom: canceling the execution (Ctrl-C again to detach)");
                    _ = _client.Executions.CancelExecutionAsync(new CancelExecutionRequest { SandboxId = _sandboxId, ExecutionId = _executionId })
                        .ResponseAsync.ContinueWith(static _ => { }, TaskScheduler.Default);
                }
                else
                {
                    Leave(Ending.SecondInterrupt);
                }
            }));
        }

        foreach (var (signal, number) in new[] { (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // The terminal first: whatever happens next, the person's shell gets its settings back.
                _raw?.Restore();
                context.Cancel = true;
                _endingSignal = number;
                Leave(Ending.Signal);
            }));
        }
    }

    private void Leave(Ending why)
    {
        if (_ending == Ending.None)
        {
            _ending = why;
        }

        _session.Cancel();
    }

    private async Task SendResizeQuietlyAsync()
    {
        try
        {
            await SendResizeAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or CleanroomException or InvalidOperationException or ObjectDisposedException)
        {
            // The session is ending; a resize has nothing left to change.
        }
    }

    private async Task SendResizeAsync()
    {
        if (LocalTerminal.Size() is { } size)
        {
            await SendAsync(new AttachExecutionRequest { Resize = new TerminalSize { Rows = size.Rows, Columns = size.Columns } });
        }
    }

    private async Task SendAsync(AttachExecutionRequest request)
    {
        await _sendOrder.WaitAsync(_session.Token);
        try
        {
            await _call!.RequestStream.WriteAsync(request, _session.Token);
        }
        finally
        {
            _sendOrder.Release();
        }
    }
}
