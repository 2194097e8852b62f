namespace Cleanroom.Agent;

/// <summary>
/// Runs the protocol over the transport the command line names. Pipes and a socket the agent connected to
/// carry one session: when it ends the agent ends. A socket the agent listens on and a virtio-serial port
/// outlive their host, so the agent serves one connection after another until a host asks it to shut
/// down; that is what lets a sandbox outlive a server that crashes or restarts.
/// </summary>
internal static class SessionLoop
{
    public static void Serve(AgentOptions options, Func<Stream, Stream, AgentSession> newSession)
    {
        switch (options.Transport)
        {
            case TransportKind.Listen:
                ServeListening(options.Path!, options, newSession);
                return;
            case TransportKind.Serial:
                using (var channel = SerialChannel.Open(options.Path!))
                {
                    Announce(options);
                    while (true)
                    {
                        channel.WaitForHost();
                        using var stream = channel.OpenSession();
                        if (newSession(stream, stream).Run() == SessionEnd.Shutdown)
                            return;
                        AgentLog.Info("the host went away; waiting for the next one");
                    }
                }
            default:
                var (input, output) = AgentTransport.Open(options);
                Announce(options);
                newSession(input, output).Run();
                return;
        }
    }

    /// <summary>
    /// One host after another on the listening socket. A suspend closes the listener and then the connection (so the
    /// host's end-of-stream means the agent holds no host socket: runsc cannot checkpoint one), waits for SIGUSR1,
    /// which the host sends once the sandbox is restored, and listens again on the same path.
    /// </summary>
    private static void ServeListening(string path, AgentOptions options, Func<Stream, Stream, AgentSession> newSession)
    {
        using var wake = WakeSignal.Register();
        var channel = ListeningChannel.Open(path);
        try
        {
            Announce(options);
            ListeningChannel.AnnounceReady();
            while (true)
            {
                var stream = channel.Accept();
                SessionEnd end;
                try
                {
                    end = newSession(stream, stream).Run();
                    if (end == SessionEnd.Suspend)
                    {
                        wake.Forget();
                        channel.Close();
                    }
                }
                finally
                {
                    stream.Dispose();
                }
                if (end == SessionEnd.Shutdown)
                    return;
                if (end == SessionEnd.Suspend)
                {
                    AgentLog.Info("suspended: no host socket open; waiting for SIGUSR1");
                    wake.Wait();
                    channel = ListeningChannel.Open(path);
                    AgentLog.Info("woken: listening again");
                    continue;
                }
                AgentLog.Info("the host went away; waiting for the next one");
            }
        }
        finally
        {
            channel.Dispose();
        }
    }

    private static void Announce(AgentOptions options) =>
        AgentLog.Info($"agent {AgentSession.AgentVersion} ready on {options.Transport}{(InitProcess.IsInit ? " as PID 1" : "")}");
}
