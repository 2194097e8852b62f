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
                using (var channel = ListeningChannel.Open(options.Path!))
                {
                    Announce(options);
                    ListeningChannel.AnnounceReady();
                    while (true)
                    {
                        using var stream = channel.Accept();
                        if (newSession(stream, stream).Run())
                            return;
                        AgentLog.Info("the host went away; waiting for the next one");
                    }
                }
            case TransportKind.Serial:
                using (var channel = SerialChannel.Open(options.Path!))
                {
                    Announce(options);
                    while (true)
                    {
                        channel.WaitForHost();
                        using var stream = channel.OpenSession();
                        if (newSession(stream, stream).Run())
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

    private static void Announce(AgentOptions options) =>
        AgentLog.Info($"agent {AgentSession.AgentVersion} ready on {options.Transport}{(InitProcess.IsInit ? " as PID 1" : "")}");
}
