using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

public sealed class PolicyFileLocatorTests : IDisposable
{
    private const string Policy = "version: 1\nsandbox:\n  image:\n    ref: ghcr.io/buildkite/cleanroom-base/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

    private readonly string _root = Directory.CreateTempSubdirectory("cleanroom-policy-locator-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Root_cleanroom_yaml_wins_over_buildkite_fallback_with_a_warning()
    {
        var repo = Repository("repo");
        var rootFile = Write("repo/cleanroom.yaml");
        var buildkiteFile = Write("repo/.buildkite/cleanroom.yaml");

        var location = PolicyFileLocator.Locate(repo);

        Assert.Equal(rootFile, location.PolicyPath);
        Assert.Equal(repo, location.RepositoryRoot);
        var warning = Assert.Single(location.Warnings);
        Assert.Contains(buildkiteFile, warning);
    }

    [Fact]
    public void Buildkite_file_is_used_when_there_is_no_root_file()
    {
        var repo = Repository("repo");
        var buildkiteFile = Write("repo/.buildkite/cleanroom.yaml");

        var location = PolicyFileLocator.Locate(repo);

        Assert.Equal(buildkiteFile, location.PolicyPath);
        Assert.Empty(location.Warnings);
    }

    [Fact]
    public void Nested_start_directory_finds_the_repository_root_policy()
    {
        var repo = Repository("repo");
        var rootFile = Write("repo/cleanroom.yaml");
        var nested = Directory.CreateDirectory(Path.Combine(repo, "src", "app")).FullName;

        var location = PolicyFileLocator.Locate(nested);

        Assert.Equal(rootFile, location.PolicyPath);
        Assert.Equal(repo, location.RepositoryRoot);
    }

    [Fact]
    public void Nearest_policy_below_the_root_wins_so_examples_can_be_validated_in_place()
    {
        var repo = Repository("repo");
        Write("repo/cleanroom.yaml");
        var example = Write("repo/examples/basic/cleanroom.yaml");

        var location = PolicyFileLocator.Locate(Path.Combine(repo, "examples", "basic"));

        Assert.Equal(example, location.PolicyPath);
        Assert.Equal(repo, location.RepositoryRoot);
    }

    [Fact]
    public void A_git_file_marks_a_worktree_root()
    {
        var repo = Directory.CreateDirectory(Path.Combine(_root, "worktree")).FullName;
        File.WriteAllText(Path.Combine(repo, ".git"), "gitdir: /elsewhere\n");
        Write("worktree/cleanroom.yaml");

        Assert.Equal(repo, PolicyFileLocator.Locate(Path.Combine(repo)).RepositoryRoot);
    }

    [Fact]
    public void Search_stops_at_the_repository_root()
    {
        Write("cleanroom.yaml"); // above the repository: must not be picked up
        var repo = Repository("repo");

        var error = Assert.Throws<CleanroomException>(() => PolicyFileLocator.Locate(repo));

        Assert.Equal(ErrorCode.PolicyNotFound, error.Code);
    }

    [Fact]
    public void Outside_a_repository_only_the_start_directory_is_searched()
    {
        var rootFile = Write("cleanroom.yaml");
        var child = Directory.CreateDirectory(Path.Combine(_root, "child")).FullName;

        Assert.Equal(rootFile, PolicyFileLocator.Locate(_root).PolicyPath);
        Assert.Null(PolicyFileLocator.Locate(_root).RepositoryRoot);
        Assert.Equal(ErrorCode.PolicyNotFound, Assert.Throws<CleanroomException>(() => PolicyFileLocator.Locate(child)).Code);
    }

    [Fact]
    public void Not_found_names_every_directory_searched()
    {
        var repo = Repository("repo");
        var nested = Directory.CreateDirectory(Path.Combine(repo, "a", "b")).FullName;

        var error = Assert.Throws<CleanroomException>(() => PolicyFileLocator.Locate(nested));

        Assert.Equal(ErrorCode.PolicyNotFound, error.Code);
        Assert.Contains(nested, error.Message);
        Assert.Contains(Path.Combine(repo, "a") + ",", error.Message);
        Assert.EndsWith(repo, error.Message);
    }

    [Fact]
    public void Loader_compiles_the_located_file()
    {
        var repo = Repository("repo");
        Write("repo/cleanroom.yaml");
        Write("repo/.buildkite/cleanroom.yaml");

        var loaded = PolicyLoader.Load(repo);

        Assert.True(loaded.Result.Valid);
        Assert.Equal(Path.Combine(repo, "cleanroom.yaml"), loaded.Location.PolicyPath);
        Assert.Single(loaded.Warnings);
    }

    [Fact]
    public void Repository_files_are_read_from_the_repository_root_and_never_from_outside_it()
    {
        var repo = Repository("repo");
        Write("repo/.buildkite/cleanroom.yaml");
        File.WriteAllText(Path.Combine(repo, "package-lock.json"), "{}");
        File.WriteAllText(Path.Combine(_root, "secret.json"), "outside");
        var location = PolicyFileLocator.Locate(repo);
        var loose = PolicyFileLocator.Locate(Path.GetDirectoryName(Write("plain/.buildkite/cleanroom.yaml"))!);

        Assert.Equal("{}", location.ReadRepositoryFile("package-lock.json"));
        Assert.Null(location.ReadRepositoryFile("missing.json"));
        Assert.Null(location.ReadRepositoryFile("../secret.json"));
        Assert.Null(location.ReadRepositoryFile("/etc/hostname"));
        Assert.Null(loose.RepositoryRoot);
        Assert.Equal(Path.Combine(_root, "plain"), loose.RepositoryDirectory); // outside a repository: the policy's directory (.buildkite's parent)
    }

    private string Repository(string name)
    {
        var path = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        Directory.CreateDirectory(Path.Combine(path, ".git"));
        return Path.TrimEndingDirectorySeparator(path);
    }

    private string Write(string relativePath)
    {
        var path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Policy);
        return path;
    }
}
