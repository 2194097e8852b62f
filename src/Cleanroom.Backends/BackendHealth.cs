namespace Cleanroom.Backends;

/// <summary>The result of probing a backend: usable or not, and in words why not (shown by doctor and in errors).</summary>
public sealed record BackendHealth(bool Usable, string? Reason)
{
    public static BackendHealth Ok() => new(true, null);

    public static BackendHealth Unusable(string reason) => new(false, reason);
}
