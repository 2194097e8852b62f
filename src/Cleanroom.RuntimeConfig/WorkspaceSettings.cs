namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>workspace:</c> section: how much a sandbox may send back or list in one request, so one that
/// tries to return huge or endless data is cut off (<c>too_large</c>) instead of filling the host.
/// </summary>
public sealed record WorkspaceSettings(long MaxTransferBytes, uint MaxTreeEntries)
{
    public static WorkspaceSettings Defaults { get; } = new(1L << 30, 200_000);
}
