using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Cleanroom.Workspace;

namespace Cleanroom.Server.Checkouts;

/// <summary>
/// Writes a fetched repository into a started sandbox at its repository path: a working tree with <c>.git</c> is made
/// on the host from the mirror (only branches and tags travel, as <c>origin</c>'s remote-tracking refs and tags as the
/// upstream had them at the fetch; <c>origin</c> is the repository's URL, so the guest's git reaches it through the
/// gateway like any clone), the commit is checked out (as the requested branch, tracking <c>origin</c>'s, or detached),
/// and the tree goes in as one archive. The host-side tree is removed whatever happens.
/// </summary>
internal static class CheckoutTree
{
    public static async Task WriteAsync(RepositoryCheckouts checkouts, SandboxControl control, string sandboxId, FetchedRepository fetched,
        ISandboxFileTree sandbox, string repositoryPath, CancellationToken cancellationToken)
    {
        var route = fetched.Route;
        using var lease = checkouts.Mirrors.Lease(route);
        var mirror = checkouts.Mirrors.PathOf(route);
        if (!Directory.Exists(mirror) || await checkouts.RevParseAsync(mirror, fetched.Commit, cancellationToken).ConfigureAwait(false) is null)
        {
            // Evicted between the create and the sandbox's start (or a push rewrote it): fetch again.
            var (address, authorization) = await checkouts.UpstreamAsync(route, cancellationToken).ConfigureAwait(false);
            if (!await checkouts.Mirrors.RefreshAsync(route, address, authorization, fetched.Commit, cancellationToken).ConfigureAwait(false))
                throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"commit {fetched.Commit} is no longer in {fetched.Url}");
        }

        var work = Directory.CreateDirectory(Path.Combine(checkouts.WorkRoot, $"checkout-{Guid.NewGuid():N}")).FullName;
        try
        {
            var tree = Path.Combine(work, "tree");
            await MakeWorkingTreeAsync(checkouts, fetched, mirror, tree, cancellationToken).ConfigureAwait(false);
            var archive = Path.Combine(work, "tree.tar");
            await using (var sink = File.Create(archive))
                await LocalTreeArchive.WriteContentsAsync(tree, sink, cancellationToken).ConfigureAwait(false);
            await using (var source = File.OpenRead(archive))
                await sandbox.WriteArchiveAsync(repositoryPath, source, cancellationToken).ConfigureAwait(false);
            await RecordWorkspaceAsync(checkouts, control, sandboxId, fetched, mirror, repositoryPath, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The sandbox's workspace record, as for an upload from a local checkout: every file and link of the commit by its
    /// git blob id (from <c>git ls-tree</c> of the mirror; <c>.git</c> is no entry, submodules are left out as
    /// <c>git archive</c> leaves them), the commit, and the repository's URL as where it came from. Setup blocks key
    /// their cached outputs on it.
    /// </summary>
    private static async Task RecordWorkspaceAsync(RepositoryCheckouts checkouts, SandboxControl control, string sandboxId, FetchedRepository fetched,
        string mirror, string repositoryPath, CancellationToken cancellationToken)
    {
        var listing = await checkouts.Git.TryRunAsync(["git", "--git-dir", mirror, "ls-tree", "-r", "-z", "--full-tree", fetched.Commit], mirror, null, null,
            TimeSpan.FromMinutes(2), checkouts.Mirrors.Isolated, cancellationToken).ConfigureAwait(false);
        if (listing is not { Succeeded: true })
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"listing commit {fetched.Commit} of {fetched.Url} failed");
        var baseline = new Dictionary<string, WorkspaceEntry>(StringComparer.Ordinal);
        foreach (var record in listing.StdoutText.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "MODE TYPE OBJECT\tPATH"
            var tab = record.IndexOf('\t');
            var fields = record[..tab].Split(' ');
            var path = record[(tab + 1)..];
            switch (fields[0])
            {
                case "100644" or "100755":
                    baseline[path] = new WorkspaceEntry(path, GuestEntryKind.File, fields[0] == "100755", fields[2], "");
                    break;
                case "120000":
                    var target = await checkouts.Git.TryRunAsync(["git", "--git-dir", mirror, "cat-file", "blob", fields[2]], mirror, null, null,
                        TimeSpan.FromMinutes(1), checkouts.Mirrors.Isolated, cancellationToken).ConfigureAwait(false);
                    baseline[path] = new WorkspaceEntry(path, GuestEntryKind.SymbolicLink, false, fields[2], target?.StdoutText ?? "");
                    break;
            }
        }
        var workspace = new WorkspaceRecord(repositoryPath, fetched.Commit, fetched.Url, baseline);
        control.SaveWorkspace(sandboxId, new WorkspaceSummary(workspace.GuestPath, workspace.Commit, workspace.CheckoutPath), workspace.ToJson());
    }

    private static async Task MakeWorkingTreeAsync(RepositoryCheckouts checkouts, FetchedRepository fetched, string mirror, string tree, CancellationToken cancellationToken)
    {
        async Task Git(params string[] arguments)
        {
            var result = await checkouts.Git.TryRunAsync(["git", "-C", tree, .. arguments], tree, null, null, TimeSpan.FromMinutes(10),
                checkouts.Mirrors.Isolated, cancellationToken).ConfigureAwait(false);
            if (result is not { Succeeded: true })
            {
                throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed,
                    $"making the checkout of {fetched.Url} failed at 'git {arguments[0]}': {(result is null ? "timed out" : HostProgram.Tail(result.Stderr))}");
            }
        }

        Directory.CreateDirectory(tree);
        await Git("init", "-q").ConfigureAwait(false);
        await Git("remote", "add", "origin", mirror).ConfigureAwait(false);
        List<string> fetch = ["fetch", "-q", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
        // A commit no branch or tag reaches (a pull request's) was fetched into the mirror by its id.
        var kept = $"refs/cleanroom/commits/{fetched.Commit}";
        if (await checkouts.RevParseAsync(mirror, kept, cancellationToken).ConfigureAwait(false) is not null)
            fetch.Add($"+{kept}:refs/cleanroom/checkout");
        await Git([.. fetch]).ConfigureAwait(false);
        await Git("remote", "set-url", "origin", fetched.Url).ConfigureAwait(false);
        if (fetched.DefaultBranch is { } defaultBranch)
            await Git("symbolic-ref", "refs/remotes/origin/HEAD", $"refs/remotes/origin/{defaultBranch}").ConfigureAwait(false);
        if (fetched.Branch is { } branch)
        {
            await Git("checkout", "-q", "-B", branch, fetched.Commit).ConfigureAwait(false);
            await Git("branch", "-q", $"--set-upstream-to=origin/{branch}", branch).ConfigureAwait(false);
        }
        else
        {
            await Git("checkout", "-q", "--detach", fetched.Commit).ConfigureAwait(false);
        }
        await Git("update-ref", "-d", "refs/cleanroom/checkout").ConfigureAwait(false);
    }
}
