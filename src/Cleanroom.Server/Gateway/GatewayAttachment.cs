namespace Cleanroom.Server.Gateway;

/// <summary>
/// A sandbox the gateway serves: what every execution's environment gets from the server (<c>CLEANROOM_GATEWAY</c>,
/// and <c>CLEANROOM_SECRET_ID</c> holding only a placeholder for each secret binding), and, disposed, the end of it
/// (listener, identity and upstream client gone). Disposing twice is harmless.
/// </summary>
public sealed class GatewayAttachment(IReadOnlyList<KeyValuePair<string, string>> guestEnvironment, Func<ValueTask> detach) : IAsyncDisposable
{
    private int _disposed;

    /// <summary>Variables the server sets in each execution, replacing any the caller sent under the same names.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> GuestEnvironment => guestEnvironment;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            await detach();
    }
}
