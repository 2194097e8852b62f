using Cleanroom.Errors;

namespace Cleanroom.Policy;

/// <summary>
/// Finds the policy file for a directory: from the start directory up to the git repository root
/// (inclusive), the first directory holding <c>cleanroom.yaml</c> or <c>.buildkite/cleanroom.yaml</c> wins.
/// Outside a repository only the start directory itself is searched: walking further up could pick up a
/// stranger's policy from a parent directory. See README.md for why the search starts below the root.
/// </summary>
public static class PolicyFileLocator
{
    public const string FileName = "cleanroom.yaml";
    public const string BuildkiteDirectory = ".buildkite";

    /// <exception cref="CleanroomException">policy_not_found, naming every directory searched.</exception>
    public static PolicyLocation Locate(string startDirectory)
    {
        ArgumentNullException.ThrowIfNull(startDirectory);
        var start = Path.TrimEndingDirectorySeparator(Path.GetFullPath(startDirectory));
        if (!Directory.Exists(start))
        {
            throw new CleanroomException(ErrorCode.PolicyNotFound, $"directory {start} does not exist, so it has no policy file");
        }

        var repositoryRoot = FindRepositoryRoot(start);
        var searched = new List<string>();
        for (var directory = start; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            searched.Add(directory);
            var rootFile = Path.Combine(directory, FileName);
            var buildkiteFile = Path.Combine(directory, BuildkiteDirectory, FileName);
            if (File.Exists(rootFile))
            {
                IReadOnlyList<string> warnings = File.Exists(buildkiteFile)
                    ? [$"ignoring {buildkiteFile}: {rootFile} takes precedence"]
                    : [];
                return new PolicyLocation(rootFile, repositoryRoot, warnings);
            }

            if (File.Exists(buildkiteFile))
            {
                return new PolicyLocation(buildkiteFile, repositoryRoot, []);
            }

            if (repositoryRoot is null || directory == repositoryRoot)
            {
                break;
            }
        }

        throw new CleanroomException(ErrorCode.PolicyNotFound,
            $"no {FileName} or {BuildkiteDirectory}/{FileName} found in {string.Join(", ", searched)}");
    }

    /// <summary>
    /// The nearest directory at or above <paramref name="start"/> with a <c>.git</c> entry. A file counts too:
    /// worktrees and submodules have a <c>.git</c> file pointing elsewhere. Git itself is not run.
    /// </summary>
    private static string? FindRepositoryRoot(string start)
    {
        for (var directory = start; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            var git = Path.Combine(directory, ".git");
            if (Directory.Exists(git) || File.Exists(git))
            {
                return directory;
            }
        }

        return null;
    }
}
