using System.Runtime.CompilerServices;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Client;

/// <summary>
/// A command running in a sandbox, attached live: read its output with <see cref="ReadOutputAsync"/> (once), write
/// its stdin, signal or cancel it, and await its end with <see cref="WaitAsync"/>. Output is not buffered here:
/// a reader that stops reading holds the workload back like a pipe, so any amount of output arrives intact.
/// Disposing detaches; the command goes on running on the server unless it was cancelled.
/// </summary>
public sealed class Execution : IAsyncDisposable
{
    private readonly CleanroomClient _client;
    private readonly AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent> _call;
    private readonly CancellationTokenSource _session;
    private readonly SemaphoreSlim _sendOrder = new(1, 1);
    private readonly TaskCompletionSource<ExecResult> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outputTaken;
    private long _stdoutBytes;
    private long _stderrBytes;
    private bool _truncated;

    private Execution(CleanroomClient client, AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent> call,
        CancellationTokenSource session, string sandboxId, string executionId)
    {
        _client = client;
        _call = call;
        _session = session;
        SandboxId = sandboxId;
        Id = executionId;
    }

    /// <summary>The execution's id on the server.</summary>
    public string Id { get; }

    /// <summary>The sandbox it runs in.</summary>
    public string SandboxId { get; }

    /// <summary>Starts <paramref name="request"/> through AttachExecution and returns once the server has accepted it.</summary>
    internal static async Task<Execution> StartAsync(CleanroomClient client, CreateExecutionRequest request, CancellationToken cancellationToken)
    {
        // The session outlives the start call: it ends with the execution, DisposeAsync, or the caller's token.
        var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var call = client.Executions.AttachExecution(cancellationToken: session.Token);
        try
        {
            await call.RequestStream.WriteAsync(new AttachExecutionRequest { Create = request }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, "the server ended the session before the execution started");
            var opening = call.ResponseStream.Current;
            return new Execution(client, call, session, opening.SandboxId, opening.ExecutionId);
        }
        catch
        {
            call.Dispose();
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The workload's stdout and stderr as they are written, then the end (see <see cref="WaitAsync"/>). Can be read once.
    /// </summary>
    public async IAsyncEnumerable<OutputChunk> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _outputTaken, 1) != 0)
            throw new InvalidOperationException("the output of an execution can be read once");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _session.Token);
        var responses = _call.ResponseStream;
        while (true)
        {
            bool more;
            try
            {
                more = await responses.MoveNext(linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_exit.Task.IsCompleted)
            {
                _exit.TrySetException(ex);
                throw;
            }
            if (!more)
                break;
            var item = responses.Current;
            // On an output event the flag means this reader missed bytes; on the exit it describes the server's
            // retained copy (cut at its limit), which says nothing about what a live reader like this one received.
            if (item.OutputTruncated && item.PayloadCase != ExecutionStreamEvent.PayloadOneofCase.Exit)
                _truncated = true;
            switch (item.PayloadCase)
            {
                case ExecutionStreamEvent.PayloadOneofCase.Stdout:
                    _stdoutBytes += item.Stdout.Length;
                    yield return new OutputChunk(OutputStreamKind.Stdout, item.Stdout.Memory);
                    break;
                case ExecutionStreamEvent.PayloadOneofCase.Stderr:
                    _stderrBytes += item.Stderr.Length;
                    yield return new OutputChunk(OutputStreamKind.Stderr, item.Stderr.Memory);
                    break;
                case ExecutionStreamEvent.PayloadOneofCase.Exit:
                    _exit.TrySetResult(ResultOf(item.Exit));
                    yield break;
            }
        }
        var ended = new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"the output of execution {Id} ended without its exit");
        _exit.TrySetException(ended);
        throw ended;
    }

    /// <summary>
    /// Waits for the end. If nobody reads the output, it is read and dropped here, so the workload is never held back.
    /// </summary>
    public async Task<ExecResult> WaitAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _outputTaken) == 0)
        {
            try
            {
                await foreach (var _ in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
                {
                }
            }
            catch (InvalidOperationException) when (Volatile.Read(ref _outputTaken) != 0 && !_exit.Task.IsCompleted)
            {
                // Someone else took the output meanwhile; their reading completes the exit.
            }
        }
        return await _exit.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies stdout and stderr to the given streams (null drops that stream) until the end, and returns it.</summary>
    public async Task<ExecResult> CopyOutputAsync(Stream? stdout, Stream? stderr, CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
        {
            var target = chunk.Stream == OutputStreamKind.Stdout ? stdout : stderr;
            if (target is not null)
                await target.WriteAsync(chunk.Data, cancellationToken).ConfigureAwait(false);
        }
        if (stdout is not null)
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (stderr is not null)
            await stderr.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await _exit.Task.ConfigureAwait(false);
    }

    /// <summary>Writes to the workload's stdin (started with <see cref="ExecOptions.Stdin"/>); returns once it has taken the bytes.</summary>
    public Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFrom(data.Span) }, cancellationToken);

    /// <summary>Ends the workload's stdin (it reads EOF).</summary>
    public Task CloseStdinAsync(CancellationToken cancellationToken = default) =>
        SendAsync(new AttachExecutionRequest { CloseStdin = true }, cancellationToken);

    /// <summary>Sends POSIX signal <paramref name="signal"/> (e.g. 2 for SIGINT) to the workload's process group.</summary>
    public Task SignalAsync(int signal, CancellationToken cancellationToken = default) =>
        SendAsync(new AttachExecutionRequest { Signal = signal }, cancellationToken);

    /// <summary>
    /// Stops the command on the server (SIGTERM, then SIGKILL after the server's grace period); it ends CANCELED.
    /// Returns once the server has accepted the request; <see cref="WaitAsync"/> then returns the end.
    /// </summary>
    public async Task CancelAsync(CancellationToken cancellationToken = default) =>
        await _client.Executions.CancelExecutionAsync(new CancelExecutionRequest { SandboxId = SandboxId, ExecutionId = Id },
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Leaves the session. The command goes on unless it ended or was cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        await _session.CancelAsync().ConfigureAwait(false);
        _call.Dispose();
        _session.Dispose();
        _sendOrder.Dispose();
    }

    private async Task SendAsync(AttachExecutionRequest request, CancellationToken cancellationToken)
    {
        await _sendOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendOrder.Release();
        }
    }

    private ExecResult ResultOf(ExecutionExit exit) => new(
        Id, exit.ExitCode, exit.Status,
        string.IsNullOrEmpty(exit.Error?.Code) ? null : exit.Error.Code,
        string.IsNullOrEmpty(exit.Message) ? null : exit.Message,
        _stdoutBytes, _stderrBytes, _truncated);
}
