using Cleanroom.Agent.Interop;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent;

/// <summary>
/// A microVM's virtio-serial port, served to one host connection after another. The host end is a socket
/// QEMU listens on; a server that restarts connects again. While no host is connected the port reads as
/// end-of-file and polls as hung up, and the kernel signals each change of the host's state with SIGIO
/// (see <see cref="AsyncSignals"/>), which is what <see cref="WaitForHost"/> waits for. (It also signals arriving
/// data, which can come before the host's "port open" is processed: so data alone never means a host is there.)
/// The port is non-blocking so a session's writes can notice that its host went away instead of
/// blocking until the next host connects and handing it the previous session's frames.
/// </summary>
internal sealed class SerialChannel : IDisposable
{
    // The signal is the wake-up; the timeout only re-checks, in case a change raced the arming.
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private readonly SafeFileHandle _port;
    private readonly string _path;
    private bool _signalArmed;

    private SerialChannel(SafeFileHandle port, string path)
    {
        _port = port;
        _path = path;
    }

    public static SerialChannel Open(string path)
    {
        var port = FileDescriptors.OpenReadWrite(path, noControllingTerminal: true);
        FileDescriptors.SetNonBlocking(port);
        return new SerialChannel(port, path);
    }

    /// <summary>
    /// Returns once a host is connected. Nothing is read here: a session ends at end-of-file, which the port reports
    /// only when nothing is buffered, so whatever is buffered now is the next host's, and its first bytes may arrive
    /// (with their own SIGIO) before the guest has processed the host's "port open" message.
    /// </summary>
    public void WaitForHost()
    {
        var waited = false;
        while (!HostConnected())
        {
            if (!waited)
                AgentLog.Info("waiting for the host to connect");
            waited = true;
            if (!_signalArmed)
            {
                // Must be the thread that waits; re-check at once, since a connect before arming sent no signal here.
                AsyncSignals.DirectToCallingThread(_port);
                _signalArmed = true;
                continue;
            }
            AsyncSignals.Wait(Recheck);
        }
    }

    /// <summary>A stream for one host connection; it ends when that host goes away.</summary>
    public Stream OpenSession() => new SerialSessionStream(_port, _path);

    public void Dispose() => _port.Dispose();

    private bool HostConnected() => (FileDescriptors.PollEvents(_port, LibC.POLLOUT, 0) & LibC.POLLHUP) == 0;
}
