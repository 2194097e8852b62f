namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>warm_pool:</c> section: how many spare sandboxes the server keeps provisioned for the spec of the most
/// recent sandbox, so the next <c>exec</c> of the same policy skips the backend's start-up. 0 turns it off.
/// </summary>
public sealed record WarmPoolSettings(int Size)
{
    /// <summary>Largest pool the config accepts: each spare holds a running sandbox's memory while it waits.</summary>
    public const int MaxSize = 8;

    public static WarmPoolSettings Defaults { get; } = new(1);
}
