namespace Cleanroom.Agent;

/// <summary>Which transport carries the protocol.</summary>
internal enum TransportKind { Stdio, Socket, Serial, Listen }

/// <summary>
/// The agent's command line. Parsed by hand: the agent is NativeAOT and must stay small, and the
/// command line is written by the host, not by people.
/// </summary>
internal sealed record AgentOptions(TransportKind Transport, string? Path, bool Verbose, bool Init = false)
{
    public const string Usage =
        "usage: cleanroom-agent (--stdio | --socket PATH | --listen PATH | --serial DEVICE) [--init] [--verbose]\n" +
        "  --stdio          the protocol runs over standard input and output; diagnostics go to standard error\n" +
        "  --socket PATH    connect to a unix socket the host listens on\n" +
        "  --listen PATH    listen on a unix socket and serve one host after another (a restarted server reconnects)\n" +
        "  --serial DEVICE  a virtio-serial port: serve one host connection after another\n" +
        "  --init           be a microVM's init: mount, switch into the root disk, serve, then reboot (see Init/)";

    /// <summary>Returns null (and an error message) when the arguments are not valid.</summary>
    public static AgentOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        TransportKind? transport = null;
        string? path = null;
        var verbose = false;
        var init = false;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--stdio" when transport is null:
                    transport = TransportKind.Stdio;
                    break;
                case "--socket" or "--serial" or "--listen" when transport is null && i + 1 < args.Count:
                    transport = args[i] switch { "--socket" => TransportKind.Socket, "--listen" => TransportKind.Listen, _ => TransportKind.Serial };
                    path = args[++i];
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--init":
                    init = true;
                    break;
                default:
                    error = $"unexpected argument '{args[i]}'";
                    return null;
            }
        }
        if (transport is null)
        {
            error = "no transport given";
            return null;
        }
        return new AgentOptions(transport.Value, path, verbose, init);
    }
}
