namespace Cleanroom.Api.Hosting;

/// <summary>Tunables of the API server. The defaults suit <c>cleanroom serve</c>; tests shorten the timeouts.</summary>
public sealed class ApiHostOptions
{
    /// <summary>
    /// How long a new connection may stay silent before the server closes it. The protocol of a connection is
    /// decided from its first bytes, so a client that never speaks would otherwise hold a socket forever.
    /// </summary>
    public TimeSpan FirstBytesTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest request message accepted (after decompression), on both protocols.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Pending-connection queue of each listening socket.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// How long a stopping server waits for calls in flight (a followed event stream never ends on its own)
    /// before it aborts them.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Certificate, key and optional client CA of the https addresses; required when one is listened on.</summary>
    public Tls.ApiTlsOptions? Tls { get; set; }

    /// <summary>How callers are identified, and whether they must be (a non-loopback address needs <c>Required</c>).</summary>
    public Authentication.ApiAuthenticationOptions Authentication { get; set; } = new();

    /// <summary>Told about every call when it ends and every call the gate refuses (the server's audit log); null: none.</summary>
    public Observation.IApiCallObserver? CallObserver { get; set; }
}
