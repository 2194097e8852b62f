namespace Cleanroom.ControlPlane;

/// <summary>
/// When a sandbox's start-up reached each milestone, as offsets from its create request (<see cref="CreatedAt"/>).
/// Written by provisioning (and, for the network, by the enforcing backend through
/// <see cref="Cleanroom.Backends.SandboxSpec.OnNetworkReady"/>), then copied onto the sandbox's first execution.
/// A milestone the sandbox never passed itself (a warm spare had its network before the request) stays null.
/// </summary>
public sealed class SandboxStartup(DateTimeOffset createdAt)
{
    private long _imageReadyTicks = -1;
    private long _networkReadyTicks = -1;
    private long _sandboxReadyTicks = -1;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public TimeSpan? ImageReady => Read(ref _imageReadyTicks);

    public TimeSpan? NetworkReady => Read(ref _networkReadyTicks);

    public TimeSpan? SandboxReady => Read(ref _sandboxReadyTicks);

    public void MarkImageReady(DateTimeOffset now) => Mark(ref _imageReadyTicks, now);

    public void MarkNetworkReady(DateTimeOffset now) => Mark(ref _networkReadyTicks, now);

    public void MarkSandboxReady(DateTimeOffset now) => Mark(ref _sandboxReadyTicks, now);

    // Interlocked: the network's milestone is marked on the backend's thread while provisioning goes on.
    private void Mark(ref long ticks, DateTimeOffset now) =>
        Interlocked.CompareExchange(ref ticks, Math.Max(0, (now - CreatedAt).Ticks), -1);

    private static TimeSpan? Read(ref long ticks) => Interlocked.Read(ref ticks) is var t and >= 0 ? TimeSpan.FromTicks(t) : null;
}
