namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>audit:</c> section: where the audit log is appended (<c>file</c>; default <c>audit/api.jsonl</c> in the
/// state directory, beside the egress events), the size at which it rotates (<c>max_bytes</c>), how many rotated files are kept (<c>max_files</c>),
/// and after how many days a rotated file is deleted (<c>retention_days</c>, 0: by count only).
/// </summary>
public sealed record AuditSettings(string? File, long MaxBytes, int MaxFiles, int RetentionDays)
{
    public static AuditSettings Defaults { get; } = new(null, 10L * 1024 * 1024, 5, 90);
}
