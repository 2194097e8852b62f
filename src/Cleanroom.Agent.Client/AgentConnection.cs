using System.Collections.Concurrent;
using System.Diagnostics;
using Cleanroom.Agent.Client.Ports;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Client;

/// <summary>
/// The host's connection to one guest agent over any ordered byte stream (pipes to the container's
/// stdio, a unix socket, a virtio-serial socket). Any number of executions and file transfers run
/// over it at once, each on its own channel. The connection owns the streams. When it is lost, every
/// pending operation fails with an <see cref="AgentException"/> coded
/// <see cref="AgentClientErrorCodes.ConnectionLost"/> (or ProtocolViolation when the agent misbehaved).
/// </summary>
public sealed class AgentConnection : IAsyncDisposable
{
    private static readonly TimeSpan ReadLoopStopTimeout = TimeSpan.FromSeconds(5);

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer;
    private readonly AgentConnectionOptions _options;
    private readonly ConcurrentDictionary<uint, IChannelHandler> _channels = new();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _pings = new();
    private readonly TaskCompletionSource<HelloReplyMessage> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private Task _readLoop = Task.CompletedTask;
    private AgentException? _failure;
    private int _nextChannel;
    private long _nextPing;
    private volatile bool _closingByHost;

    private AgentConnection(Stream input, Stream output, AgentConnectionOptions options)
    {
        _input = input;
        _output = output;
        _reader = new FrameReader(input);
        _writer = new FrameWriter(output);
        _options = options;
        Agent = null!;
    }

    /// <summary>Set by the handshake.</summary>
    public AgentInfo Agent { get; private set; }

    /// <summary>Completes when the connection ends: normally after <see cref="ShutdownAsync"/> or dispose, faulted otherwise.</summary>
    public Task Completion => _completion.Task;

    public static Task<AgentConnection> ConnectAsync(Stream duplex, AgentConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(duplex, duplex, options, cancellationToken);

    /// <summary>Performs the handshake: sends hello, waits for the agent's reply, checks the protocol version.</summary>
    public static async Task<AgentConnection> ConnectAsync(Stream fromAgent, Stream toAgent, AgentConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        var connection = new AgentConnection(fromAgent, toAgent, options ?? new AgentConnectionOptions());
        try
        {
            connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
            await connection.SendAsync(FrameType.Hello, ProtocolConstants.ConnectionChannel,
                new HelloMessage(ProtocolConstants.Version, connection._options.ClientName).Encode(), cancellationToken).ConfigureAwait(false);
            HelloReplyMessage reply;
            try
            {
                reply = await connection._hello.Task.WaitAsync(connection._options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new AgentException(AgentClientErrorCodes.Incompatible,
                    $"the agent did not answer the handshake within {connection._options.HandshakeTimeout.TotalSeconds:0.#} s");
            }
            if (reply.ProtocolVersion != ProtocolConstants.Version)
                throw new AgentException(AgentClientErrorCodes.Incompatible,
                    $"the agent {reply.AgentVersion} speaks protocol {reply.ProtocolVersion}, this host speaks {ProtocolConstants.Version}; install the agent that ships with this host");
            connection.Agent = new AgentInfo(reply.ProtocolVersion, reply.AgentVersion, (int)reply.MaxPayloadSize, reply.IsInitProcess, reply.Capabilities);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a command. Returns once it runs, or once the agent reported that it could not start it (see <see cref="AgentExecution.Exit"/>).</summary>
    public async Task<AgentExecution> StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Argv.Count == 0)
            throw new ArgumentException("the command is empty", nameof(request));
        var id = NextChannel();
        var execution = new AgentExecution(this, id, request.Stdin, _options.OutputWindow);
        Register(id, execution);
        var start = new StartMessage(
            request.Argv,
            request.Environment.Select(pair => $"{pair.Key}={pair.Value}").ToList(),
            request.WorkingDirectory ?? "",
            request.User ?? "",
            request.Tty,
            request.Stdin,
            request.TerminalSize.Rows,
            request.TerminalSize.Columns,
            execution.InitialOutputCredit);
        await SendAsync(FrameType.Start, id, start.Encode(), cancellationToken).ConfigureAwait(false);
        await execution.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        return execution;
    }

    /// <summary>
    /// A TCP connection from the agent to <paramref name="port"/> on the sandbox's loopback. Fails with
    /// <c>connection_refused</c> when nothing listens there.
    /// </summary>
    public async Task<AgentPortStream> ConnectPortAsync(ushort port, CancellationToken cancellationToken = default)
    {
        var id = NextChannel();
        var stream = new AgentPortStream(this, id, port, _options.OutputWindow);
        Register(id, stream);
        try
        {
            await SendAsync(FrameType.PortConnect, id, new PortConnectMessage(port, stream.InitialCredit).Encode(), cancellationToken).ConfigureAwait(false);
            await stream.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a guest file for reading; fails at once when the agent cannot open it.</summary>
    public Task<Stream> ReadFileAsync(string path, CancellationToken cancellationToken = default) =>
        OpenReadAsync(FrameType.FileRead, credit => new FileReadMessage(path, credit).Encode(), cancellationToken);

    /// <summary>
    /// A PAX tar of <paramref name="members"/> (relative to <paramref name="root"/>; empty = all of it).
    /// The content comes from the guest: whoever unpacks it must treat every entry as hostile.
    /// </summary>
    public Task<Stream> ReadArchiveAsync(string root, IReadOnlyList<string> members, CancellationToken cancellationToken = default) =>
        OpenReadAsync(FrameType.ArchiveRead, credit => new ArchiveReadMessage(root, members, credit).Encode(), cancellationToken);

    /// <summary>The entries of a guest directory tree, root first; fails with <c>too_large</c> past <paramref name="maxEntries"/>.</summary>
    public async IAsyncEnumerable<TreeEntry> ReadTreeManifestAsync(string root, IReadOnlyList<string> excludedNames, uint maxEntries,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var records = await OpenReadAsync(FrameType.TreeManifest,
            credit => new TreeManifestMessage(root, excludedNames, maxEntries, credit).Encode(), cancellationToken).ConfigureAwait(false);
        while (await TreeEntry.ReadAsync(records, cancellationToken).ConfigureAwait(false) is { } entry)
            yield return entry;
    }

    private async Task<Stream> OpenReadAsync(FrameType type, Func<uint, byte[]> request, CancellationToken cancellationToken)
    {
        var id = NextChannel();
        var read = new FileReadOperation(this, id, _options.OutputWindow);
        Register(id, read);
        await SendAsync(type, id, request(read.InitialCredit), cancellationToken).ConfigureAwait(false);
        await read.Opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        return read.Content;
    }

    /// <summary>Creates or replaces a guest file with the content of <paramref name="content"/>; returns the bytes written.</summary>
    public Task<long> WriteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken = default) =>
        SendDataAsync(FrameType.FileWrite, new FileWriteMessage(path, (uint)mode).Encode(), content, cancellationToken);

    /// <summary>Unpacks a tar (see <see cref="ArchiveWriteMessage"/>) under a guest directory; returns the bytes sent.</summary>
    public Task<long> WriteArchiveAsync(string root, Stream archive, CancellationToken cancellationToken = default) =>
        SendDataAsync(FrameType.ArchiveWrite, new ArchiveWriteMessage(root).Encode(), archive, cancellationToken);

    private async Task<long> SendDataAsync(FrameType type, byte[] request, Stream content, CancellationToken cancellationToken)
    {
        var id = NextChannel();
        var write = new FileWriteOperation(this, id);
        Register(id, write);
        await SendAsync(type, id, request, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[ProtocolConstants.DataChunkSize];
        int read;
        // Stop early when the agent has already refused (bad path, permissions): it ignores the rest.
        while (!write.Completion.IsCompleted && (read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            await SendAsync(FrameType.FileData, id, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        if (!write.Completion.IsCompleted)
            await SendAsync(FrameType.FileEnd, id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        return await write.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Round trip to the agent; proves the agent's frame loop is alive.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var token = (ulong)Interlocked.Increment(ref _nextPing);
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[token] = pong;
        if (_failure is { } failure)
            pong.TrySetException(failure);
        var clock = Stopwatch.StartNew();
        try
        {
            await SendAsync(FrameType.Ping, ProtocolConstants.ConnectionChannel, new PingMessage(token).Encode(), cancellationToken).ConfigureAwait(false);
            await pong.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return clock.Elapsed;
        }
        finally
        {
            _pings.TryRemove(token, out _);
        }
    }

    /// <summary>
    /// Asks the agent to stop: it sends SIGTERM to every command, SIGKILL after <paramref name="grace"/>,
    /// and closes the connection. Completes when it has.
    /// </summary>
    public async Task ShutdownAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        _closingByHost = true;
        await SendAsync(FrameType.Shutdown, ProtocolConstants.ConnectionChannel,
            new ShutdownMessage((uint)Math.Clamp(grace.TotalMilliseconds, 0, uint.MaxValue)).Encode(), cancellationToken).ConfigureAwait(false);
        await _readLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the agent to let go of every host socket before a checkpoint: it stops what this host still runs (the
    /// caller asks only when nothing runs), closes its listening socket, then this connection. Completes when the
    /// connection has ended, i.e. when the agent holds no host socket; the connection is then unusable. Throws
    /// <c>incompatible</c> for an agent without the <see cref="AgentCapabilities.Suspend"/> capability.
    /// </summary>
    public async Task SuspendAsync(CancellationToken cancellationToken = default)
    {
        if (!Agent.Supports(AgentCapabilities.Suspend))
            throw new AgentException(AgentClientErrorCodes.Incompatible, $"the agent {Agent.Version} cannot suspend (it does not listen on a socket, or predates suspend)");
        _closingByHost = true;
        await SendAsync(FrameType.Suspend, ProtocolConstants.ConnectionChannel, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await _readLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _closingByHost = true;
        Fail(new AgentException(AgentClientErrorCodes.ConnectionLost, "the connection to the agent was closed by the host"));
        _closing.Cancel();
        await _output.DisposeAsync().ConfigureAwait(false);
        await _input.DisposeAsync().ConfigureAwait(false);
        try
        {
            // Closing the streams normally ends the read; a transport that ignores that must not hang the caller.
            await _readLoop.WaitAsync(ReadLoopStopTimeout).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Its outcome is already in Fail.
        }
        _writer.Dispose();
    }

    internal async Task SendAsync(FrameType type, uint channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (_failure is { } failure)
            throw failure;
        try
        {
            await _writer.WriteAsync(type, channel, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw Fail(new AgentException(AgentClientErrorCodes.ConnectionLost, $"cannot write to the agent: {e.Message}", inner: e));
        }
    }

    internal void Forget(uint channel) => _channels.TryRemove(channel, out _);

    private uint NextChannel() => (uint)Interlocked.Increment(ref _nextChannel);

    private void Register(uint channel, IChannelHandler handler)
    {
        _channels[channel] = handler;
        // Registered after a failure: nobody would ever tell it.
        if (_failure is { } failure)
            handler.OnConnectionLost(failure);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadAsync(_closing.Token).ConfigureAwait(false) is { } frame)
                Dispatch(frame);
            Fail(new AgentException(AgentClientErrorCodes.ConnectionLost, "the agent closed the connection"));
        }
        catch (ProtocolException e)
        {
            Fail(new AgentException(AgentClientErrorCodes.ProtocolViolation, $"the agent broke the protocol: {e.Message}", inner: e));
        }
        catch (AgentException e)
        {
            Fail(e);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            Fail(new AgentException(AgentClientErrorCodes.ConnectionLost, $"the connection to the agent failed: {e.Message}", inner: e));
        }
    }

    private void Dispatch(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.HelloReply when frame.Channel == ProtocolConstants.ConnectionChannel:
                _hello.TrySetResult(HelloReplyMessage.Decode(frame.Payload.Span));
                break;
            case FrameType.Pong when frame.Channel == ProtocolConstants.ConnectionChannel:
                if (_pings.TryGetValue(PingMessage.Decode(frame.Payload.Span).Token, out var pong))
                    pong.TrySetResult();
                break;
            case FrameType.Error when frame.Channel == ProtocolConstants.ConnectionChannel:
                var error = ErrorMessage.Decode(frame.Payload.Span);
                throw new AgentException(AgentClientErrorCodes.ProtocolViolation, $"the agent ended the connection: {error.Message}", error.Code);
            default:
                if (frame.Channel == ProtocolConstants.ConnectionChannel || !FrameTypes.IsKnown(frame.Type))
                    throw new AgentException(AgentClientErrorCodes.ProtocolViolation, $"the agent sent an unexpected frame {frame}");
                // A frame for a channel that has ended (a stdin credit racing the exit) is harmless.
                if (_channels.TryGetValue(frame.Channel, out var handler))
                    handler.OnFrame(frame);
                break;
        }
    }

    /// <summary>Records the first failure and fails everything pending with it. Returns the failure in force.</summary>
    private AgentException Fail(AgentException error)
    {
        if (Interlocked.CompareExchange(ref _failure, error, null) is { } earlier)
            return earlier;
        _hello.TrySetException(error);
        foreach (var channel in _channels.Keys)
        {
            if (_channels.TryRemove(channel, out var handler))
                handler.OnConnectionLost(error);
        }
        foreach (var pong in _pings.Values)
            pong.TrySetException(error);
        if (_closingByHost)
            _completion.TrySetResult();
        else
            _completion.TrySetException(error);
        _ = _hello.Task.Exception; // observed: the handshake may never have been awaited
        return error;
    }
}
