namespace Cleanroom.Policy;

/// <summary>
/// Which policy file applies: its full path, the git repository root it was found under (null outside a
/// repository), and warnings such as a <c>.buildkite/cleanroom.yaml</c> that was shadowed.
/// </summary>
public sealed record PolicyLocation(string PolicyPath, string? RepositoryRoot, IReadOnlyList<string> Warnings)
{
    /// <summary>A lockfile is JSON of a few MB even for large projects; more is not one.</summary>
    private const long MaxRepositoryFileBytes = 64L << 20;

    /// <summary>
    /// The directory a policy's repository-relative paths start from: the repository root, else the directory holding the
    /// policy (its parent for <c>.buildkite/cleanroom.yaml</c>).
    /// </summary>
    public string RepositoryDirectory
    {
        get
        {
            if (RepositoryRoot is not null)
                return RepositoryRoot;
            var directory = Path.GetDirectoryName(Path.GetFullPath(PolicyPath))!;
            return Path.GetFileName(directory) == PolicyFileLocator.BuildkiteDirectory ? Path.GetDirectoryName(directory)! : directory;
        }
    }

    /// <summary>
    /// The text of a file at a relative path in the repository (<see cref="PolicyCompiler.Compile"/>'s reader); null when
    /// it does not exist or lies outside the repository (the compiler has already refused '..' segments).
    /// </summary>
    public string? ReadRepositoryFile(string relative)
    {
        var root = Path.GetFullPath(RepositoryDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal) || !File.Exists(full))
            return null;
        if (new FileInfo(full).Length > MaxRepositoryFileBytes)
            throw new IOException($"{full} is larger than {MaxRepositoryFileBytes >> 20} MiB");
        return File.ReadAllText(full);
    }
}
