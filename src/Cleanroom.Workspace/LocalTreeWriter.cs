using Cleanroom.Errors;

namespace Cleanroom.Workspace;

/// <summary>
/// Writes files, links and deletions that came out of a sandbox under one host directory, and nowhere
/// else: every path is checked (<see cref="LocalTreeWriter.CheckRelative"/>), every existing parent must
/// be a real directory (a symbolic link among the parents is refused, so a link the sandbox planted, or
/// one already in the checkout, cannot redirect a write), links may only point inside the root, a
/// link or file already at the target is replaced rather than written through, and setuid/setgid/sticky
/// bits are dropped. Files are written to a temporary name and renamed.
/// </summary>
public sealed class LocalTreeWriter(string root, bool forbidGitDirectory)
{
    private readonly string _root = Path.GetFullPath(root).TrimEnd('/');

    public string Root => _root;

    public string CheckRelative(string path)
    {
        var problem = forbidGitDirectory ? WorkspacePath.Problem(path) : GenericProblem(path);
        if (problem is not null)
            throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing path '{path}': {problem}");
        return path;
    }

    public async Task WriteFileAsync(string relative, Stream content, UnixFileMode mode, DateTimeOffset? modified, CancellationToken cancellationToken)
    {
        var target = PrepareTarget(relative);
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
            throw new CleanroomException(ErrorCode.WorkspaceConflict, $"{relative} is a directory on the host; it will not be replaced by a file");
        var temporary = Path.Join(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.cleanroom-{Guid.NewGuid():N}.tmp");
        try
        {
            var safeMode = mode & (UnixFileMode)0x1FF;
            await using (var file = new FileStream(temporary, new FileStreamOptions
                         {
                             Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = safeMode | UnixFileMode.UserWrite | UnixFileMode.UserRead,
                         }))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
            File.SetUnixFileMode(temporary, safeMode);
            if (modified is { } time)
                File.SetLastWriteTimeUtc(temporary, time.UtcDateTime);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public void CreateDirectory(string relative, UnixFileMode mode, DateTimeOffset? modified)
    {
        var target = PrepareTarget(relative);
        if (new FileInfo(target).LinkTarget is not null || File.Exists(target))
            throw new CleanroomException(ErrorCode.WorkspaceConflict, $"{relative} exists on the host and is not a directory");
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, (mode & (UnixFileMode)0x1FF) | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead);
        if (modified is { } time)
            Directory.SetLastWriteTimeUtc(target, time.UtcDateTime);
    }

    public void CreateLink(string relative, string linkTarget)
    {
        CheckLinkTarget(relative, linkTarget);
        var target = PrepareTarget(relative);
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
            throw new CleanroomException(ErrorCode.WorkspaceConflict, $"{relative} is a directory on the host; it will not be replaced by a link");
        File.Delete(target);
        File.CreateSymbolicLink(target, linkTarget);
    }

    /// <summary>Removes a file or link (never a directory's content through a link). Missing is fine.</summary>
    public void Delete(string relative)
    {
        var target = PrepareTarget(relative, createParents: false);
        if (target is null)
            return;
        var info = new FileInfo(target);
        if (info.LinkTarget is not null || info.Exists)
            File.Delete(target);
        else if (Directory.Exists(target))
            throw new CleanroomException(ErrorCode.WorkspaceConflict, $"{relative} is a directory on the host; copy-out deletes files only");
    }

    /// <summary>Refuses a link whose target is absolute or, resolved from the link's directory, leaves the root.</summary>
    public void CheckLinkTarget(string relative, string linkTarget)
    {
        if (linkTarget.Length == 0 || linkTarget[0] == '/')
            throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing link {relative} -> {linkTarget}: it points outside the destination");
        var depth = relative.Split('/').Length - 1;
        foreach (var part in linkTarget.Split('/'))
        {
            depth += part switch { ".." => -1, "" or "." => 0, _ => 1 };
            if (depth < 0)
                throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing link {relative} -> {linkTarget}: it points outside the destination");
        }
    }

    /// <summary>The absolute target after checking the path and every parent; parents are created when asked.</summary>
    private string PrepareTarget(string relative) => PrepareTarget(relative, createParents: true)!;

    private string? PrepareTarget(string relative, bool createParents)
    {
        CheckRelative(relative);
        var parts = relative.Split('/');
        var current = _root;
        foreach (var part in parts[..^1])
        {
            current = Path.Join(current, part);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null)
                throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing {relative}: its parent {Path.GetRelativePath(_root, current)} is a symbolic link");
            if (File.Exists(current))
                throw new CleanroomException(ErrorCode.WorkspaceConflict, $"refusing {relative}: its parent {Path.GetRelativePath(_root, current)} is a file on the host");
            if (!info.Exists)
            {
                if (!createParents)
                    return null;
                Directory.CreateDirectory(current);
            }
        }
        return Path.Join(current, parts[^1]);
    }

    private static string? GenericProblem(string path)
    {
        if (path.Length == 0 || path.Contains('\0'))
            return "it is empty or contains a NUL character";
        if (path[0] == '/')
            return "it is absolute";
        var parts = path.Split('/');
        if (parts.Any(p => p.Length == 0 || p == "."))
            return "it has an empty or '.' component";
        return parts.Contains("..") ? "it leaves the destination with '..'" : null;
    }
}
