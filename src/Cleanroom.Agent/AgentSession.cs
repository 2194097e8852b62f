using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Files;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Ports;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent;

/// <summary>
/// One connection with the host: reads frames on the calling thread and routes them to the executions
/// and file transfers of their channels. Nothing here blocks on a command; launching, output and stdin
/// run on their own threads. Ends on a Shutdown frame or at the end of the stream, after stopping
/// every command it started. Only a Shutdown also ends every other process of a sandbox whose init the
/// agent is: a host that went away (a server restarting) may come back, and what the workload left
/// running in the background is still its business then.
/// </summary>
internal sealed class AgentSession
{
    public static readonly string AgentVersion = typeof(AgentSession).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>How long to wait for killed executions to be reaped and send their last frames.</summary>
    private static readonly TimeSpan DrainAfterKill = TimeSpan.FromSeconds(5);

    private readonly FrameReader _reader;
    private readonly OutboundFrames _outbound;
    private readonly ExecutionLauncher _launcher;
    private readonly ChildReaper _reaper;
    private readonly bool _isInit;
    private readonly bool _canSuspend;
    private readonly object _lock = new();
    private readonly Dictionary<uint, object> _channels = new();
    private bool _greeted;

    public AgentSession(Stream input, Stream output, SelfCommand self, ChildReaper reaper, bool isInit, bool canSuspend = false)
    {
        _canSuspend = canSuspend;
        _reader = new FrameReader(input);
        _outbound = new OutboundFrames(new FrameWriter(output));
        _reaper = reaper;
        _launcher = new ExecutionLauncher(self, reaper);
        _isInit = isInit;
    }

    /// <summary>When the host went away without a Shutdown, commands get this long between TERM and KILL.</summary>
    private const uint GraceWhenHostLeft = 1000;

    /// <summary>Serves the connection until it ends: the host asked for a shutdown or a suspend, or it went away.</summary>
    public SessionEnd Run()
    {
        uint grace = GraceWhenHostLeft;
        var shutdown = false;
        var suspend = false;
        try
        {
            while (_reader.Read() is { } frame)
            {
                if (frame.Type == FrameType.Shutdown)
                {
                    grace = Decode(frame, ShutdownMessage.Decode)?.GraceMilliseconds ?? 0;
                    AgentLog.Info($"shutdown requested, grace {grace} ms");
                    shutdown = true;
                    break;
                }
                if (frame.Type == FrameType.Suspend && _canSuspend)
                {
                    // The host asks only when nothing runs; anything it started still running is stopped as if it left.
                    AgentLog.Info("suspend requested: letting go of the host's sockets until woken");
                    suspend = true;
                    break;
                }
                Dispatch(frame);
            }
        }
        catch (ProtocolException e)
        {
            // The stream cannot be resynchronised after a framing error: say why, then stop.
            AgentLog.Error($"protocol error: {e.Message}");
            _outbound.Send(FrameType.Error, ProtocolConstants.ConnectionChannel, new ErrorMessage(AgentErrorCodes.BadRequest, e.Message, 0).Encode());
        }
        catch (IOException e)
        {
            AgentLog.Error($"cannot read from the host: {e.Message}");
        }
        StopEverything(grace, wholeSandbox: shutdown && _isInit);
        return shutdown ? SessionEnd.Shutdown : suspend ? SessionEnd.Suspend : SessionEnd.HostLeft;
    }

    private void Dispatch(Frame frame)
    {
        AgentLog.Debug($"<- {frame}");
        switch (frame.Type)
        {
            case FrameType.Hello:
                if (_greeted)
                {
                    // A virtio-serial port can hand the agent a new host before a read ever saw the previous one leave
                    // (it reconnected in between). What that host started is nobody's now: stop it as if it had left.
                    AgentLog.Info("a new host said hello on this connection; stopping what the previous host started");
                    StopEverything(GraceWhenHostLeft, wholeSandbox: false);
                    lock (_lock)
                        _channels.Clear();
                }
                _greeted = true;
                var hello = Decode(frame, HelloMessage.Decode);
                if (hello is not null)
                    AgentLog.Info($"hello from {hello.ClientName}, protocol {hello.ProtocolVersion}");
                _outbound.Send(FrameType.HelloReply, 0, new HelloReplyMessage(
                    ProtocolConstants.Version, AgentVersion, ProtocolConstants.MaxPayloadSize, _isInit, Capabilities()).Encode());
                break;
            case FrameType.Ping:
                _outbound.Send(FrameType.Pong, 0, frame.Payload.Span);
                break;
            case FrameType.Start:
                if (Decode(frame, StartMessage.Decode) is { } start)
                    StartExecution(frame.Channel, start);
                break;
            case FrameType.StdinData:
                Find<Execution.Execution>(frame)?.WriteStdin(frame.Payload.ToArray());
                break;
            case FrameType.StdinClose:
                Find<Execution.Execution>(frame)?.CloseStdin();
                break;
            case FrameType.Signal:
                if (Decode(frame, SignalMessage.Decode) is { } signal)
                    Find<Execution.Execution>(frame)?.Signal(signal.Signal);
                break;
            case FrameType.Resize:
                if (Decode(frame, ResizeMessage.Decode) is { } resize)
                    Find<Execution.Execution>(frame)?.Resize(resize.Rows, resize.Columns);
                break;
            case FrameType.Cancel:
                if (Decode(frame, CancelMessage.Decode) is { } cancel)
                    Find<Execution.Execution>(frame)?.Cancel(cancel.GraceMilliseconds);
                break;
            case FrameType.OutputCredit:
                if (Decode(frame, CreditMessage.Decode) is { } credit)
                {
                    Find<Execution.Execution>(frame)?.GrantOutput(credit.Bytes);
                    Find<ICreditedTransfer>(frame)?.GrantCredit(credit.Bytes);
                }
                break;
            case FrameType.FileRead:
                if (Decode(frame, FileReadMessage.Decode) is { } read)
                    StartFileRead(frame.Channel, read);
                break;
            case FrameType.FileWrite:
                if (Decode(frame, FileWriteMessage.Decode) is { } write && Claim(frame.Channel))
                    Register(frame.Channel, new FileWriteTransfer(frame.Channel, write, _outbound));
                break;
            case FrameType.ArchiveRead:
                if (Decode(frame, ArchiveReadMessage.Decode) is { } archiveRead)
                    StartCredited(frame.Channel, new ArchiveReadTransfer(frame.Channel, archiveRead, _outbound), t => t.Run());
                break;
            case FrameType.TreeManifest:
                if (Decode(frame, TreeManifestMessage.Decode) is { } manifest)
                    StartCredited(frame.Channel, new TreeManifestTransfer(frame.Channel, manifest, _outbound), t => t.Run());
                break;
            case FrameType.ArchiveWrite:
                if (Decode(frame, ArchiveWriteMessage.Decode) is { } archiveWrite)
                    StartArchiveWrite(frame.Channel, archiveWrite);
                break;
            case FrameType.FileData:
                Find<FileWriteTransfer>(frame)?.Append(frame.Payload.Span);
                Find<ArchiveWriteTransfer>(frame)?.Append(frame.Payload.Span);
                break;
            case FrameType.FileEnd:
                if (Find<FileWriteTransfer>(frame) is { } finished)
                {
                    finished.Complete();
                    Unregister(frame.Channel);
                }
                Find<ArchiveWriteTransfer>(frame)?.Complete();
                break;
            case FrameType.PortConnect:
                if (Decode(frame, PortConnectMessage.Decode) is { } connect)
                    StartPort(frame.Channel, connect);
                break;
            case FrameType.PortData:
                Find<PortConnection>(frame)?.Append(frame.Payload.Span);
                break;
            case FrameType.PortEnd:
                Find<PortConnection>(frame)?.End();
                break;
            case FrameType.PortClose:
                Find<PortConnection>(frame)?.Abort();
                break;
            default:
                // Skipped, not fatal: the length prefix kept the stream in sync, and a newer host may try
                // a frame this agent predates.
                _outbound.Send(FrameType.Error, frame.Channel, new ErrorMessage(AgentErrorCodes.UnknownFrameType,
                    $"frame type 0x{(byte)frame.Type:x2} is not known to agent {AgentVersion}", 0).Encode());
                break;
        }
    }

    private void StartExecution(uint channel, StartMessage start)
    {
        if (start.Argv.Count == 0 || start.Argv[0].Length == 0)
        {
            _outbound.Send(FrameType.Error, channel, new ErrorMessage(AgentErrorCodes.BadRequest, "the command is empty", 127).Encode());
            return;
        }
        if (start.WorkingDirectory.Length > 0 && start.WorkingDirectory[0] != '/')
        {
            _outbound.Send(FrameType.Error, channel, new ErrorMessage(AgentErrorCodes.WorkingDirectoryNotFound,
                $"working directory {start.WorkingDirectory} is not absolute", 126).Encode());
            return;
        }
        if (!Claim(channel))
            return;
        var execution = new Execution.Execution(channel, start, _outbound, _launcher, _reaper);
        Register(channel, execution);
        execution.Completion.ContinueWith(_ => Unregister(channel), TaskScheduler.Default);
        Task.Factory.StartNew(execution.Run, TaskCreationOptions.LongRunning);
    }

    private void StartFileRead(uint channel, FileReadMessage read) =>
        StartCredited(channel, new FileReadTransfer(channel, read, _outbound), t => t.Run());

    /// <summary>Runs a transfer that sends to the host on its own thread; the channel ends with it.</summary>
    private void StartCredited<T>(uint channel, T transfer, Action<T> run) where T : ICreditedTransfer
    {
        if (!Claim(channel))
            return;
        Register(channel, transfer);
        Task.Factory.StartNew(() =>
        {
            try { run(transfer); }
            finally { Unregister(channel); }
        }, TaskCreationOptions.LongRunning);
    }

    /// <summary>Connects on a worker thread, which then reads the socket; the channel ends when both directions have.</summary>
    private void StartPort(uint channel, PortConnectMessage request)
    {
        if (!Claim(channel))
            return;
        var connection = new PortConnection(channel, request, _outbound);
        Register(channel, connection);
        Task.Factory.StartNew(() =>
        {
            connection.Run();
            connection.Completion.ContinueWith(_ =>
            {
                connection.Release();
                Unregister(channel);
            }, TaskScheduler.Default);
        }, TaskCreationOptions.LongRunning);
    }

    private void StartArchiveWrite(uint channel, ArchiveWriteMessage request)
    {
        if (!Claim(channel))
            return;
        var transfer = new ArchiveWriteTransfer(channel, request, _outbound);
        Register(channel, transfer);
        transfer.Completion.ContinueWith(_ => Unregister(channel), TaskScheduler.Default);
        Task.Factory.StartNew(transfer.Run, TaskCreationOptions.LongRunning);
    }

    /// <summary>False (and an Error frame) when the channel is 0 or already in use.</summary>
    private bool Claim(uint channel)
    {
        lock (_lock)
        {
            if (channel != ProtocolConstants.ConnectionChannel && !_channels.ContainsKey(channel))
                return true;
        }
        _outbound.Send(FrameType.Error, channel, new ErrorMessage(AgentErrorCodes.BadRequest, $"channel {channel} is already in use", 0).Encode());
        return false;
    }

    private void Register(uint channel, object handler)
    {
        lock (_lock)
            _channels[channel] = handler;
    }

    private void Unregister(uint channel)
    {
        lock (_lock)
            _channels.Remove(channel);
    }

    /// <summary>
    /// The channel's handler, if it is of that kind. Frames for channels that just ended (a credit
    /// grant racing an exit) are normal and dropped.
    /// </summary>
    private T? Find<T>(Frame frame) where T : class
    {
        lock (_lock)
            return _channels.GetValueOrDefault(frame.Channel) as T;
    }

    private T? Decode<T>(Frame frame, DecodePayload<T> decode) where T : class
    {
        try
        {
            return decode(frame.Payload.Span);
        }
        catch (ProtocolException e)
        {
            _outbound.Send(FrameType.Error, frame.Channel, new ErrorMessage(AgentErrorCodes.BadRequest, e.Message, 0).Encode());
            return null;
        }
    }

    private delegate T DecodePayload<out T>(ReadOnlySpan<byte> payload);

    private IReadOnlyList<string> Capabilities()
    {
        List<string> capabilities =
        [
            AgentCapabilities.Exec, AgentCapabilities.Tty, AgentCapabilities.Stdin, AgentCapabilities.Signal,
            AgentCapabilities.Resize, AgentCapabilities.Cancel, AgentCapabilities.User,
            AgentCapabilities.FileRead, AgentCapabilities.FileWrite, AgentCapabilities.Archive, AgentCapabilities.TreeManifest,
            AgentCapabilities.Ports,
        ];
        if (_isInit)
            capabilities.Add(AgentCapabilities.Reaper);
        if (_canSuspend)
            capabilities.Add(AgentCapabilities.Suspend);
        return capabilities;
    }

    /// <summary>
    /// TERM every command, KILL what is left after the grace period, and let their last frames out. With
    /// <paramref name="wholeSandbox"/> (init, shutting down) every other process goes the same way.
    /// </summary>
    private void StopEverything(uint graceMilliseconds, bool wholeSandbox)
    {
        List<object> handlers;
        lock (_lock)
            handlers = _channels.Values.ToList();
        var executions = handlers.OfType<Execution.Execution>().ToList();
        foreach (var execution in executions)
            execution.Cancel(graceMilliseconds);
        foreach (var transfer in handlers.OfType<ICreditedTransfer>())
            transfer.Abort();
        foreach (var transfer in handlers.OfType<ArchiveWriteTransfer>())
            transfer.Complete();
        foreach (var transfer in handlers.OfType<FileWriteTransfer>())
            transfer.Dispose();
        if (wholeSandbox)
            ChildReaper.SignalEverything(Processes.SIGTERM);

        var all = Task.WhenAll(executions.Select(e => e.Completion));
        if (!all.Wait(TimeSpan.FromMilliseconds(graceMilliseconds)) && wholeSandbox)
            ChildReaper.SignalEverything(Processes.SIGKILL);
        // Output nobody will read must not keep the agent alive: stop waiting for credit and send the exits.
        foreach (var execution in executions)
            execution.Abandon();
        all.Wait(DrainAfterKill);
        if (wholeSandbox)
            ChildReaper.SignalEverything(Processes.SIGKILL);
    }
}
