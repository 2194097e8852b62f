using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Lists a tree depth-first in ordinal name order, from lstat only: symbolic links are entries, never
/// followed, so a link to / inside the sandbox cannot make a listing or an archive walk the whole disk.
/// </summary>
internal static class TreeWalker
{
    public readonly record struct Entry(string RelativePath, string FullPath, FileStatus.Info Status);

    /// <summary>The root itself (relative path "") first, then everything under it when it is a directory.</summary>
    public static IEnumerable<Entry> Walk(string root, IReadOnlyCollection<string> excludedTopLevelNames)
    {
        var status = FileStatus.Lstat(root) ?? throw new FileNotFoundException($"{root} does not exist", root);
        yield return new Entry("", root, status);
        if (status.Kind != FileStatus.Kind.Directory)
            yield break;
        foreach (var entry in Below(root, "", excludedTopLevelNames))
            yield return entry;
    }

    /// <summary>One member (a relative path under root) and, when it is a directory, everything under it.</summary>
    public static IEnumerable<Entry> WalkMember(string root, string member)
    {
        var full = Path.Join(root, member);
        var status = FileStatus.Lstat(full) ?? throw new FileNotFoundException($"{full} does not exist", full);
        yield return new Entry(member, full, status);
        if (status.Kind != FileStatus.Kind.Directory)
            yield break;
        foreach (var entry in Below(full, member, []))
            yield return entry;
    }

    /// <summary>The names directly in <paramref name="directory"/>, in the walk's (ordinal) order.</summary>
    public static List<string> ChildNames(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<Entry> Below(string directory, string relative, IReadOnlyCollection<string> excluded)
    {
        foreach (var name in ChildNames(directory).Where(name => !excluded.Contains(name)))
        {
            var full = Path.Join(directory, name);
            // Gone between the listing and the lstat: a sandbox process deleted it; not an error.
            if (FileStatus.Lstat(full) is not { } status)
                continue;
            var childRelative = relative.Length == 0 ? name : relative + "/" + name;
            yield return new Entry(childRelative, full, status);
            if (status.Kind == FileStatus.Kind.Directory)
                foreach (var entry in Below(full, childRelative, []))
                    yield return entry;
        }
    }
}
