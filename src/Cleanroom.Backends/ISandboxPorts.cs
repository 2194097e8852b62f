namespace Cleanroom.Backends;

/// <summary>
/// TCP connections from the host into a sandbox (exposures and port forwards), made by something inside the sandbox
/// on the host's behalf: the sandbox's egress is untouched. Implemented by the provisioned sandboxes of backends
/// claiming <see cref="CapabilityNames.Ports"/>.
/// </summary>
public interface ISandboxPorts
{
    /// <summary>
    /// Connects to <paramref name="port"/> on the sandbox's loopback. Nothing listening throws a
    /// <see cref="Cleanroom.Errors.CleanroomException"/> coded <c>connection_refused</c>.
    /// </summary>
    Task<SandboxPortConnection> ConnectPortAsync(ushort port, CancellationToken cancellationToken);
}

/// <summary>
/// One connection to a port in a sandbox: a duplex <see cref="Stream"/> plus TCP's half-close. Disposing it before
/// both sides finished drops the connection.
/// </summary>
/// <param name="closed">Told once when the connection is disposed (the control plane counts open connections: a
/// sandbox with one is not idle).</param>
public sealed class SandboxPortConnection(Stream stream, Func<CancellationToken, Task> shutdownWrite, Action? closed = null) : IAsyncDisposable
{
    private Action? _closed = closed;

    public Stream Stream { get; } = stream;

    /// <summary>Sends nothing more: the program reads end of file after what was sent before.</summary>
    public Task ShutdownWriteAsync(CancellationToken cancellationToken) => shutdownWrite(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _closed, null)?.Invoke();
    }
}
