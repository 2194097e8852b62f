using System.Text;

namespace Cleanroom.HostProcesses;

/// <summary>
/// The one reader of this process's mount table (/proc/self/mountinfo): the gVisor backend finds the sandbox disks a
/// dead server left through it, and the server's storage report skips (and never deletes through) what is mounted.
/// </summary>
public static class MountTable
{
    private const string MountInfo = "/proc/self/mountinfo";

    /// <summary>Every mount point of this process's mount namespace, in the order of the table (parents first).</summary>
    public static IReadOnlyList<string> MountPoints()
    {
        var points = new List<string>();
        foreach (var line in File.ReadLines(MountInfo))
        {
            // "<id> <parent> <major:minor> <root> <mount point> <options> ...": the mount point is the fifth field.
            var fields = line.Split(' ', 6);
            if (fields.Length >= 5)
                points.Add(Unescape(fields[4]));
        }
        return points;
    }

    /// <summary>The mount points at or below <paramref name="directory"/>, from <paramref name="mountPoints"/>.</summary>
    public static IEnumerable<string> Under(IEnumerable<string> mountPoints, string directory)
    {
        var root = Path.GetFullPath(directory).TrimEnd('/');
        return mountPoints.Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal));
    }

    // The kernel writes space, tab, newline and backslash in mountinfo paths as octal escapes (\040, \011, \012, \134),
    // all ASCII, so each escape is one char.
    public static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 4 <= field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                text.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits) => digits[0] is >= '0' and <= '3' && digits[1] is >= '0' and <= '7' && digits[2] is >= '0' and <= '7';
}
