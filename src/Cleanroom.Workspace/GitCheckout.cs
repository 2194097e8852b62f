using System.Text;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;

namespace Cleanroom.Workspace;

/// <summary>A git working tree on the host, read through the git program (never written by it).</summary>
public sealed class GitCheckout
{
    private readonly HostProgram _git;

    private GitCheckout(HostProgram git, string root, string head)
    {
        _git = git;
        Root = root;
        Head = head;
    }

    /// <summary>The top of the working tree.</summary>
    public string Root { get; }

    /// <summary>The commit HEAD named when the checkout was opened.</summary>
    public string Head { get; }

    /// <summary>
    /// The checkout containing <paramref name="directory"/>, or null when it is in none. A repository
    /// without any commit has nothing to materialise and is refused with <c>not_a_git_checkout</c>.
    /// </summary>
    public static async Task<GitCheckout?> FindAsync(HostProgram git, string directory, CancellationToken cancellationToken)
    {
        if (!MayBeInsideCheckout(directory))
            return null;
        var top = await git.RunAsync(["git", "-C", directory, "rev-parse", "--show-toplevel"], null, cancellationToken).ConfigureAwait(false);
        if (!top.Succeeded)
            return null;
        var root = top.StdoutText.Trim();
        var head = await git.RunAsync(["git", "-C", root, "rev-parse", "--verify", "-q", "HEAD^{commit}"], null, cancellationToken).ConfigureAwait(false);
        if (!head.Succeeded)
            throw new CleanroomException(ErrorCode.NotAGitCheckout, $"the git repository at {root} has no commit yet; commit something first, or run outside it");
        return new GitCheckout(git, root, head.StdoutText.Trim());
    }

    /// <summary>
    /// False only when git surely finds no checkout: no <c>.git</c> (directory, or the file of a worktree or
    /// submodule) in <paramref name="directory"/> or above, and no <c>GIT_DIR</c> pointing elsewhere. Spares the
    /// git process, a visible part of a short <c>exec</c>'s time, outside repositories; anything else asks git.
    /// </summary>
    private static bool MayBeInsideCheckout(string directory)
    {
        if (Environment.GetEnvironmentVariable("GIT_DIR") is { Length: > 0 })
            return true;
        for (var current = new DirectoryInfo(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            var marker = Path.Combine(current.FullName, ".git");
            if (Directory.Exists(marker) || File.Exists(marker))
                return true;
        }
        return false;
    }

    /// <summary>HEAD now (it may have moved since the checkout was opened).</summary>
    public async Task<string> CurrentHeadAsync(CancellationToken cancellationToken) =>
        (await _git.RunCheckedAsync(["git", "-C", Root, "rev-parse", "--verify", "HEAD^{commit}"], null, cancellationToken).ConfigureAwait(false)).StdoutText.Trim();

    /// <summary>The committed tree of <see cref="Head"/> as a tar, streamed into <paramref name="sink"/>.</summary>
    public async Task ArchiveHeadAsync(Stream sink, CancellationToken cancellationToken)
    {
        var result = await _git.StreamAsync(["git", "-C", Root, "archive", "--format=tar", Head], null, sink, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"git archive {Head} failed: {HostProgram.Tail(result.Stderr)}");
    }

    /// <summary>
    /// Tracked changes (edits and deletions, staged or not) and untracked files that are not ignored,
    /// relative to HEAD: what --copy-in brings into the sandbox.
    /// </summary>
    public async Task<IReadOnlyList<LocalChange>> LocalChangesAsync(CancellationToken cancellationToken)
    {
        var status = await _git.RunCheckedAsync(
            ["git", "-C", Root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all"],
            null, cancellationToken).ConfigureAwait(false);
        var changes = new List<LocalChange>();
        foreach (var record in status.StdoutText.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (record.Length < 4)
                continue;
            var code = record[..2];
            var path = record[3..];
            changes.Add(new LocalChange(path, code.Contains('D'), code == "??"));
        }
        return changes;
    }

    /// <summary>Which of <paramref name="paths"/> the checkout's ignore rules exclude.</summary>
    public async Task<IReadOnlySet<string>> IgnoredAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
            return new HashSet<string>();
        var input = Encoding.UTF8.GetBytes(string.Concat(paths.Select(p => p + "\0")));
        // Exit 1 means "none ignored", which is an answer, not a failure.
        var result = await _git.RunAsync(["git", "-C", Root, "check-ignore", "--no-index", "-z", "--stdin"], null, cancellationToken, input).ConfigureAwait(false);
        if (result.ExitCode > 1)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"git check-ignore failed: {HostProgram.Tail(result.Stderr)}");
        return result.StdoutText.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}

/// <summary>A path that differs from HEAD in the working tree: edited, deleted, or new (untracked, not ignored).</summary>
public sealed record LocalChange(string Path, bool Deleted, bool Untracked = false)
{
    /// <summary>git status's letter for it: A new, D deleted, M edited.</summary>
    public char Letter => Deleted ? 'D' : Untracked ? 'A' : 'M';
}
