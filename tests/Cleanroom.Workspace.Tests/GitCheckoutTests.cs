using System.Formats.Tar;
using Cleanroom.Errors;

namespace Cleanroom.Workspace.Tests;

public class GitCheckoutTests
{
    [Fact]
    public async Task A_clean_head_archives_exactly_its_committed_files()
    {
        using var repo = new TestRepository();
        repo.Write("README.md", "hi\n").Write("src/tool.sh", "echo\n", (UnixFileMode)0x1ed).Write(".gitignore", "build/\n");
        var head = repo.Commit("first");
        repo.Write("build/out.bin", "ignored").Write("scratch.txt", "untracked");

        var checkout = (await repo.OpenAsync())!;
        var archive = new MemoryStream();
        await checkout.ArchiveHeadAsync(archive, CancellationToken.None);
        archive.Position = 0;
        var updates = await WorkspaceArchive.ScanAsync(archive, CancellationToken.None);

        Assert.Equal(head, checkout.Head);
        Assert.Equal([".gitignore", "README.md", "src/tool.sh"], updates.Select(u => u.Path).Order(StringComparer.Ordinal));
        var tool = updates.Single(u => u.Path == "src/tool.sh").Entry!;
        Assert.True(tool.Executable);
        Assert.Equal(repo.Run("rev-parse", "HEAD:src/tool.sh").Trim(), tool.BlobId);
    }

    [Fact]
    public async Task A_commit_that_exists_only_locally_is_what_gets_archived()
    {
        using var repo = new TestRepository();
        repo.Write("a.txt", "one\n");
        repo.Commit("first");
        // No remote at all: this commit exists nowhere but here.
        repo.Write("a.txt", "two\n").Write("local-only.txt", "mine\n");
        var local = repo.Commit("local only");

        var checkout = (await repo.OpenAsync())!;
        var archive = new MemoryStream();
        await checkout.ArchiveHeadAsync(archive, CancellationToken.None);
        archive.Position = 0;
        var files = new Dictionary<string, string>();
        await using (var reader = new TarReader(archive))
            while (await reader.GetNextEntryAsync() is { } entry)
                if (entry.DataStream is { } data)
                    files[entry.Name] = await new StreamReader(data).ReadToEndAsync();

        Assert.Equal(local, checkout.Head);
        Assert.Equal("two\n", files["a.txt"]);
        Assert.Equal("mine\n", files["local-only.txt"]);
    }

    [Fact]
    public async Task Local_changes_are_edits_new_files_and_deletions_but_not_ignored_files()
    {
        using var repo = new TestRepository();
        repo.Write("keep.txt", "k").Write("edit.txt", "e").Write("remove.txt", "r").Write(".gitignore", "*.log\n");
        repo.Commit("first");
        repo.Write("edit.txt", "edited").Write("new/dir/file.txt", "n").Write("debug.log", "ignored");
        File.Delete(repo.PathOf("remove.txt"));

        var changes = await (await repo.OpenAsync())!.LocalChangesAsync(CancellationToken.None);

        Assert.Equal(
            [("edit.txt", 'M'), ("new/dir/file.txt", 'A'), ("remove.txt", 'D')],
            changes.Select(c => (c.Path, c.Letter)).Order());
    }

    [Fact]
    public async Task The_change_archive_carries_contents_and_deletion_marks()
    {
        using var repo = new TestRepository();
        repo.Write("edit.txt", "e").Write("remove.txt", "r");
        repo.Commit("first");
        repo.Write("edit.txt", "edited");
        File.Delete(repo.PathOf("remove.txt"));
        var checkout = (await repo.OpenAsync())!;

        var archive = new MemoryStream();
        await LocalTreeArchive.WriteChangesAsync(checkout.Root, await checkout.LocalChangesAsync(CancellationToken.None), archive, CancellationToken.None);
        archive.Position = 0;
        var updates = await WorkspaceArchive.ScanAsync(archive, CancellationToken.None);

        Assert.Equal(GitBlobId.Of("edited"u8), updates.Single(u => u.Path == "edit.txt").Entry!.BlobId);
        Assert.Null(updates.Single(u => u.Path == "remove.txt").Entry);
    }

    [Fact]
    public async Task Ignored_paths_are_reported_by_the_checkouts_rules()
    {
        using var repo = new TestRepository();
        repo.Write(".gitignore", "node_modules/\n*.tmp\n");
        repo.Commit("first");

        var ignored = await (await repo.OpenAsync())!.IgnoredAsync(["node_modules/x/index.js", "a.tmp", "src/main.c"], CancellationToken.None);

        Assert.Equal(["a.tmp", "node_modules/x/index.js"], ignored.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Outside_a_checkout_there_is_none_and_a_repository_without_commits_is_refused()
    {
        var plain = Directory.CreateTempSubdirectory("cleanroom-ws-plain-").FullName;
        try
        {
            Assert.Null(await GitCheckout.FindAsync(TestRepository.Git, plain, CancellationToken.None));
            await TestRepository.Git.RunCheckedAsync(["git", "init", "-q", plain], null, CancellationToken.None);
            var error = await Assert.ThrowsAsync<CleanroomException>(() => GitCheckout.FindAsync(TestRepository.Git, plain, CancellationToken.None));
            Assert.Equal(ErrorCode.NotAGitCheckout, error.Code);
        }
        finally
        {
            Directory.Delete(plain, recursive: true);
        }
    }

    [Fact]
    public async Task A_subdirectory_and_a_linked_worktree_whose_git_is_a_file_are_found()
    {
        using var repo = new TestRepository().Write("src/main.c", "int main;\n");
        var head = repo.Commit("first");
        var worktree = repo.Root + "-linked";
        repo.Run("worktree", "add", "-q", "--detach", worktree);
        try
        {
            Assert.True(File.Exists(Path.Combine(worktree, ".git")));
            var inSubdirectory = await GitCheckout.FindAsync(TestRepository.Git, repo.PathOf("src"), CancellationToken.None);
            var inWorktree = await GitCheckout.FindAsync(TestRepository.Git, Path.Combine(worktree, "src"), CancellationToken.None);

            Assert.Equal(repo.Root, inSubdirectory!.Root);
            Assert.Equal(worktree, inWorktree!.Root);
            Assert.Equal(head, inWorktree.Head);
        }
        finally
        {
            repo.Run("worktree", "remove", "--force", worktree);
        }
    }
}
