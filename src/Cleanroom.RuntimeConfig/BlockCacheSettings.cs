namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>block_cache:</c> section: how many bytes the host keeps of setup blocks' cached outputs (all repositories
/// together); the least recently used go first.
/// </summary>
public sealed record BlockCacheSettings(long MaxBytes)
{
    public static BlockCacheSettings Defaults { get; } = new(10L << 30);
}
