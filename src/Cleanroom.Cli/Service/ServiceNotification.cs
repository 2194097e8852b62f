using System.Net.Sockets;
using System.Text;

namespace Cleanroom.Cli.Service;

/// <summary>
/// systemd's readiness protocol (sd_notify) for <c>serve</c> under a <c>Type=notify</c> unit: one datagram to the
/// socket named by <c>NOTIFY_SOCKET</c> (a path, or an abstract name written with a leading <c>@</c>). <c>READY=1</c>
/// once the API answers, so <c>systemctl start/restart</c> return only then; <c>STOPPING=1</c> when a stop begins.
/// The variable is taken out of the environment at once: sandboxes' processes (runsc, qemu) must not inherit it and
/// speak for the service.
/// </summary>
internal sealed class ServiceNotification
{
    private const string Variable = "NOTIFY_SOCKET";
    private readonly string? _socket;

    private ServiceNotification(string? socket) => _socket = socket;

    public static ServiceNotification FromEnvironment()
    {
        var socket = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, null);
        return new ServiceNotification(string.IsNullOrEmpty(socket) ? null : socket);
    }

    public void Ready(string status) => Send($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    public void Stopping() => Send("STOPPING=1");

    /// <summary>Best effort, as sd_notify is: a manager that went away must not stop the server.</summary>
    private void Send(string message)
    {
        if (_socket is null) return;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            var path = _socket[0] == '@' ? "\0" + _socket[1..] : _socket;
            socket.SendTo(Encoding.UTF8.GetBytes(message), new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
        }
    }
}
