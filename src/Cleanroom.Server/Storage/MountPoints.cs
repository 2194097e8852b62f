namespace Cleanroom.Server.Storage;

/// <summary>
/// Whether anything is mounted at or below a directory (from /proc/self/mountinfo). A sandbox directory with a mount
/// inside (its disk) belongs to a sandbox that is not cleanly gone: prune leaves it, rather than delete through it.
/// </summary>
internal static class MountPoints
{
    public static bool AnyUnder(string directory) => Under(directory).Count > 0;

    /// <summary>The mount points at or below <paramref name="directory"/>.</summary>
    public static HashSet<string> Under(string directory)
    {
        var root = System.IO.Path.GetFullPath(directory).TrimEnd('/');
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // Field 5 is the mount point, with spaces and other specials octal-escaped (\040).
            var fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            var mountPoint = Unescape(fields[4]);
            if (mountPoint == root || mountPoint.StartsWith(root + "/", StringComparison.Ordinal))
                found.Add(mountPoint);
        }

        return found;
    }

    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
