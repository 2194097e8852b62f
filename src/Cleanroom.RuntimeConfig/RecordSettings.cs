namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>records:</c> section: how many days the records (and retained output) of an ended sandbox are kept;
/// 0 keeps them until <c>cleanroom system prune</c>-style removal by hand.
/// </summary>
public sealed record RecordSettings(int RetentionDays)
{
    public static RecordSettings Defaults { get; } = new(7);
}
