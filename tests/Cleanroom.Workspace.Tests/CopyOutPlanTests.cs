using Cleanroom.Backends;

namespace Cleanroom.Workspace.Tests;

public class CopyOutPlanTests
{
    [Fact]
    public async Task A_local_file_changed_since_the_baseline_is_a_conflict_and_an_untouched_one_is_not()
    {
        using var repo = new TestRepository();
        repo.Write("same.txt", "base").Write("changed.txt", "base");
        repo.Commit("first");
        repo.Write("changed.txt", "edited locally");
        var baseBlob = GitBlobId.Of("base"u8);
        var changes = new List<WorkspaceChange>
        {
            Modified("same.txt", baseBlob, GitBlobId.Of("from sandbox"u8)),
            Modified("changed.txt", baseBlob, GitBlobId.Of("from sandbox"u8)),
        };

        var plan = await CopyOutPlan.BuildAsync(changes, new LocalTreeWriter(repo.Root, true), NoneIgnored, CancellationToken.None);

        Assert.Equal(["changed.txt: changed locally"], plan.Conflicts);
    }

    [Fact]
    public async Task Added_files_the_checkout_ignores_are_left_out()
    {
        using var repo = new TestRepository();
        repo.Write(".gitignore", "node_modules/\n");
        repo.Commit("first");
        var changes = new List<WorkspaceChange>
        {
            new(WorkspaceChangeKind.Added, "node_modules/x.js", null, File("node_modules/x.js", "a")),
            new(WorkspaceChangeKind.Added, "src/new.c", null, File("src/new.c", "b")),
        };
        var checkout = (await repo.OpenAsync())!;

        var plan = await CopyOutPlan.BuildAsync(changes, new LocalTreeWriter(repo.Root, true), p => checkout.IgnoredAsync(p, CancellationToken.None), CancellationToken.None);

        Assert.Equal(["src/new.c"], plan.Changes.Select(c => c.Path));
        Assert.Equal(["node_modules/x.js"], plan.Ignored);
        Assert.Empty(plan.Conflicts);
    }

    [Fact]
    public void Comparison_reports_added_modified_deleted_and_executable_bit_changes()
    {
        var baseline = new Dictionary<string, WorkspaceEntry>
        {
            ["keep"] = File("keep", "k"),
            ["edit"] = File("edit", "e"),
            ["gone"] = File("gone", "g"),
            ["chmod"] = File("chmod", "c"),
        };
        var guest = new[]
        {
            Guest("", GuestEntryKind.Directory, ""),
            Guest("keep", GuestEntryKind.File, GitBlobId.Of("k"u8)),
            Guest("edit", GuestEntryKind.File, GitBlobId.Of("edited"u8)),
            Guest("chmod", GuestEntryKind.File, GitBlobId.Of("c"u8), 0x1ed),
            Guest("dir", GuestEntryKind.Directory, ""),
            Guest("dir/new", GuestEntryKind.File, GitBlobId.Of("n"u8)),
        };

        var changes = WorkspaceComparison.Compare(baseline, guest);

        Assert.Equal(
            [("chmod", WorkspaceChangeKind.Modified), ("dir/new", WorkspaceChangeKind.Added), ("edit", WorkspaceChangeKind.Modified), ("gone", WorkspaceChangeKind.Deleted)],
            changes.Select(c => (c.Path, c.Kind)));
    }

    private static Task<IReadOnlySet<string>> NoneIgnored(IReadOnlyCollection<string> paths) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    private static WorkspaceChange Modified(string path, string before, string after) =>
        new(WorkspaceChangeKind.Modified, path, new WorkspaceEntry(path, GuestEntryKind.File, false, before, ""), new WorkspaceEntry(path, GuestEntryKind.File, false, after, ""));

    private static WorkspaceEntry File(string path, string content) =>
        new(path, GuestEntryKind.File, false, GitBlobId.Of(System.Text.Encoding.UTF8.GetBytes(content)), "");

    private static GuestTreeEntry Guest(string path, GuestEntryKind kind, string blob, uint mode = 0x1a4) =>
        new(kind, path, mode, 0, 0, blob, "");
}
