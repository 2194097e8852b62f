using System.Globalization;

namespace Cleanroom.Policy.Rules;

/// <summary>
/// Sizes such as <c>512MiB</c>, <c>16GB</c> or a bare byte count, as bytes. Binary units (KiB..TiB) are
/// powers of 1024 and decimal units (KB..TB) powers of 1000, exactly as their names say, so that
/// <c>512MiB</c> and <c>536870912</c> compile (and hash) the same.
/// </summary>
internal static class ByteSize
{
    private static readonly (string Unit, long Multiplier)[] Units =
    [
        ("B", 1),
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
    ];

    public static long? Parse(string text, out string error)
    {
        error = "";
        var trimmed = text.Trim();
        if (trimmed.StartsWith('-'))
        {
            error = $"size \"{text}\" is negative; sizes must be positive";
            return null;
        }

        var digits = trimmed.TakeWhile(char.IsAsciiDigit).Count();
        if (digits == 0)
        {
            error = $"size \"{text}\" must start with a whole number, e.g. 512MiB or 8GiB";
            return null;
        }

        var unit = trimmed[digits..].TrimStart();
        if (unit.StartsWith('.') || unit.StartsWith(','))
        {
            error = $"size \"{text}\" must be a whole number of units; write e.g. 1536MiB instead of 1.5GiB";
            return null;
        }

        var multiplier = unit.Length == 0 ? 1 : Units.FirstOrDefault(u => u.Unit == unit).Multiplier;
        if (multiplier == 0)
        {
            error = $"size \"{text}\" has unknown unit \"{unit}\"; use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB";
            return null;
        }

        if (!long.TryParse(trimmed[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count > long.MaxValue / multiplier)
        {
            error = $"size \"{text}\" is too large";
            return null;
        }

        if (count == 0)
        {
            error = $"size \"{text}\" is zero; sizes must be positive";
            return null;
        }

        return count * multiplier;
    }
}
