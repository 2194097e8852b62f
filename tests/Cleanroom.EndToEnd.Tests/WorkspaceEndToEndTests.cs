namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Repository-aware sandboxes as a user drives them: a real git repository made by the test, the built
/// CLI, a real server and gVisor. Each test's repository and canary directory are removed afterwards.
/// </summary>
public sealed class WorkspaceEndToEndTests(SharedServer shared) : IAsyncLifetime, IClassFixture<SharedServer>
{
    private readonly RealServer _server = shared.Server;
    private readonly string _top = Directory.CreateTempSubdirectory("cleanroom-e2e-ws-").FullName;

    private string Repo => Path.Combine(_top, "repo");

    private string Canary => Path.Combine(_top, "canary");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Repo);
        Directory.CreateDirectory(Canary);
        await Git("init", "-q", "-b", "main");
        await Git("config", "user.email", "e2e@example.invalid");
        await Git("config", "user.name", "e2e");
        File.Copy(Path.Combine(Product.RepositoryRoot, "examples", "basic", "cleanroom.yaml"), Path.Combine(Repo, "cleanroom.yaml"));
        Write("README.md", "readme\n");
        Write("src/main.sh", "echo main\n");
        Write("old.txt", "old\n");
        await Commit("first");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_top, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Exec_in_a_checkout_runs_in_its_committed_head_but_not_its_uncommitted_changes()
    {
        Write("README.md", "uncommitted edit\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", Repo, "--", "sh", "-c", "pwd; ls; cat README.md");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("/workspace\nREADME.md\ncleanroom.yaml\nold.txt\nsrc\nreadme\n", run.Stdout);
        Assert.Contains("workspace /workspace at", run.Stderr);
    }

    [Fact]
    public async Task In_a_fresh_clone_of_a_repository_without_a_policy_exec_ls_lists_its_files()
    {
        var clone = Path.Combine(_top, "clone");
        await Shell.CheckAsync("git", "clone", "-q", Repo, clone);
        await Shell.CheckAsync("git", "-C", clone, "rm", "-q", "cleanroom.yaml");
        await Shell.CheckAsync("git", "-C", clone, "-c", "user.email=e2e@example.invalid", "-c", "user.name=e2e", "commit", "-q", "-m", "no policy");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", clone, "--", "ls");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("README.md\nold.txt\nsrc\n", run.Stdout);
        Assert.Contains("using a deny-all policy", run.Stderr);
    }

    [Fact]
    public async Task A_sandbox_sending_back_more_than_the_limit_is_cut_off_and_nothing_is_written()
    {
        var id = await CreateAsync();
        await ExecInAsync(id, "head -c 3000000 /dev/zero > big.bin");
        var target = Path.Combine(_top, "big.bin");

        var cp = await _server.CleanroomAsync("cp", "--max-bytes", "1000000", $"{id}:/workspace/big.bin", target);
        var copyOut = await _server.CleanroomAsync("workspace", "copy-out", "--max-bytes", "1000000", id);

        Assert.Equal(1, cp.ExitCode);
        Assert.Contains("too_large", cp.Stderr);
        Assert.False(File.Exists(target));
        Assert.Equal(1, copyOut.ExitCode);
        Assert.Contains("too_large", copyOut.Stderr);
        Assert.False(File.Exists(Path.Combine(Repo, "big.bin")));
    }

    [Fact]
    public async Task Copy_in_brings_edits_new_files_deletions_and_a_local_only_commit()
    {
        Write("local.txt", "from a commit that exists only here\n");
        await Commit("local only");
        Write("README.md", "edited\n");
        Write("new/file.txt", "new\n");
        File.Delete(Path.Combine(Repo, "old.txt"));

        var run = await _server.CleanroomAsync("exec", "--rm", "--copy-in", "--chdir", Repo, "--", "sh", "-c",
            "cat local.txt README.md new/file.txt; test -e old.txt && echo old-still-there; true");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("from a commit that exists only here\nedited\nnew\n", run.Stdout);
    }

    [Fact]
    public async Task Copy_out_brings_back_edits_new_files_and_deletions()
    {
        var id = await CreateAsync();
        await ExecInAsync(id, "echo changed > README.md; mkdir -p gen; echo made > gen/out.txt; rm old.txt");

        var diff = await _server.CleanroomAsync("workspace", "diff", id);
        Assert.Equal("M README.md\nA gen/out.txt\nD old.txt\n", diff.Stdout);
        var patch = await _server.CleanroomAsync("workspace", "diff", "--patch", id);
        Assert.Contains("--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-readme\n+changed\n", patch.Stdout);
        Assert.Contains("deleted file mode", patch.Stdout);

        var copy = await _server.CleanroomAsync("workspace", "copy-out", id);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        Assert.Equal("changed\n", Read("README.md"));
        Assert.Equal("made\n", Read("gen/out.txt"));
        Assert.False(File.Exists(Path.Combine(Repo, "old.txt")));

        var again = await _server.CleanroomAsync("workspace", "diff", id);
        Assert.Equal("", again.Stdout);
    }

    [Fact]
    public async Task Copy_out_is_refused_when_the_local_checkout_moved_or_conflicts()
    {
        var id = await CreateAsync();
        await ExecInAsync(id, "echo from-sandbox > README.md");

        Write("README.md", "local edit\n");
        var conflict = await _server.CleanroomAsync("workspace", "copy-out", id);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("workspace_conflict", conflict.Stderr);
        Assert.Equal("local edit\n", Read("README.md"));

        await Commit("moved on");
        var moved = await _server.CleanroomAsync("workspace", "copy-out", id);
        Assert.Equal(1, moved.ExitCode);
        Assert.Contains("checkout_moved", moved.Stderr);
        Assert.Equal("local edit\n", Read("README.md"));
    }

    [Theory]
    [InlineData("ln -s /etc escape")]
    [InlineData("ln -s ../../canary escape")]
    [InlineData("rm -rf src && ln -s ../canary src && echo x > src.txt")]
    public async Task Copy_out_refuses_links_that_point_out_and_writes_nothing_outside(string attack)
    {
        var id = await CreateAsync();
        await ExecInAsync(id, attack);

        var copy = await _server.CleanroomAsync("workspace", "copy-out", id);

        Assert.Equal(1, copy.ExitCode);
        Assert.Contains("path_unsafe", copy.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Canary));
        Assert.True(File.Exists(Path.Combine(Repo, "src", "main.sh")));
    }

    [Fact]
    public async Task Exec_sync_runs_on_local_changes_and_brings_the_result_back()
    {
        Write("README.md", "local\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--sync", "--chdir", Repo, "--", "sh", "-c", "cat README.md > copy.txt; echo ok >> README.md");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("local\n", Read("copy.txt"));
        Assert.Equal("local\nok\n", Read("README.md"));
    }

    [Fact]
    public async Task Cp_round_trips_a_tree_with_modes_and_mtimes()
    {
        var id = (await _server.CleanroomAsync("sandbox", "create", "--chdir", Repo)).Stdout.Trim();
        var source = Path.Combine(_top, "tree");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        File.WriteAllText(Path.Combine(source, "sub", "tool"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(source, "sub", "tool"), (UnixFileMode)0x1e9);
        File.SetLastWriteTimeUtc(Path.Combine(source, "sub", "tool"), new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        File.WriteAllText(Path.Combine(source, "plain.txt"), "plain\n");

        var copyIn = await _server.CleanroomAsync("cp", source, $"{id}:/tmp/");
        Assert.True(copyIn.ExitCode == 0, copyIn.ToString());
        var inside = await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/tmp/tree/plain.txt");
        Assert.Equal("plain\n", inside.Stdout);
        // Like cp: into an existing (non-empty) directory keeps the name; to a new path takes that name.
        Assert.Equal(0, (await _server.CleanroomAsync("cp", Path.Combine(source, "plain.txt"), $"{id}:/tmp/tree/sub")).ExitCode);
        Assert.Equal(0, (await _server.CleanroomAsync("cp", Path.Combine(source, "plain.txt"), $"{id}:/tmp/renamed.txt")).ExitCode);
        var placed = await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/tmp/tree/sub/plain.txt", "/tmp/renamed.txt");
        Assert.Equal("plain\nplain\n", placed.Stdout);

        var back = Path.Combine(_top, "back");
        var copyOut = await _server.CleanroomAsync("cp", $"{id}:/tmp/tree", back);
        Assert.True(copyOut.ExitCode == 0, copyOut.ToString());
        var tool = Path.Combine(back, "sub", "tool");
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(tool));
        Assert.Equal((UnixFileMode)0x1e9, File.GetUnixFileMode(tool));
        Assert.Equal(new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc), File.GetLastWriteTimeUtc(tool));
        Assert.Equal("plain\n", File.ReadAllText(Path.Combine(back, "plain.txt")));
        Assert.Equal("plain\n", File.ReadAllText(Path.Combine(back, "sub", "plain.txt")));
        await _server.CleanroomAsync("sandbox", "rm", id);
    }

    private async Task<string> CreateAsync()
    {
        var create = await _server.CleanroomAsync("create", "--chdir", Repo);
        Assert.True(create.ExitCode == 0, create.ToString());
        return create.Stdout.Trim();
    }

    private async Task ExecInAsync(string id, string script)
    {
        var run = await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", script);
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Repo, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Read(string relative) => File.ReadAllText(Path.Combine(Repo, relative));

    private async Task Commit(string message)
    {
        await Git("add", "-A");
        await Git("commit", "-q", "-m", message);
    }

    private Task<string> Git(params string[] args) => Shell.CheckAsync(["git", "-C", Repo, .. args]);
}
