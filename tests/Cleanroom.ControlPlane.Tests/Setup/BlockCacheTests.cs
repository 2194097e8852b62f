using System.Collections.Immutable;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Setup;
using Cleanroom.Policy;
using Cleanroom.Workspace;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.ControlPlane.Tests.Setup;

public sealed class BlockCacheTests : IDisposable
{
    private const string Image = "sha256:" + "ab";
    private readonly string _root = Directory.CreateTempSubdirectory("cleanroom-block-cache-test-").FullName;

    private static readonly WorkloadBlock Deps = new("deps", "npm ci", ["package-lock.json", "packages/**/package.json"], ["/workspace/node_modules"], [],
        ImmutableSortedDictionary<string, string>.Empty);

    private static readonly ImmutableArray<EgressRule> Registry = [new("registry.npmjs.org", [443])];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_key_follows_the_input_files_and_the_definition_and_ignores_other_files()
    {
        var files = Files(("package-lock.json", "1111"), ("packages/a/package.json", "2222"), ("src/main.js", "3333"));
        var key = BlockCacheKey.Of(Image, "dependencies", Registry, Deps, files);

        Assert.StartsWith("sha256:", key);
        Assert.Equal(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps, Files(("package-lock.json", "1111"), ("packages/a/package.json", "2222"), ("src/main.js", "9999"))));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps, Files(("package-lock.json", "1112"), ("packages/a/package.json", "2222"))));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps, Files(("package-lock.json", "1111"), ("packages/a/package.json", "2223"))));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps, Files(("package-lock.json", "1111"), ("packages/a/package.json", "2222"), ("packages/b/package.json", "4444"))));
        Assert.NotEqual(key, BlockCacheKey.Of("sha256:cd", "dependencies", Registry, Deps, files));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", [], Deps, files));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps with { Command = "npm install" }, files));
        Assert.NotEqual(key, BlockCacheKey.Of(Image, "dependencies", Registry, Deps with { Env = Deps.Env.Add("CI", "1") }, files));
        Assert.Null(BlockCacheKey.Of(Image, "dependencies", Registry, Deps with { OutputDirs = [] }, files));
    }

    [Fact]
    public void Globs_match_repository_relative_paths_including_double_star()
    {
        var matched = BlockCacheKey.MatchingFiles(["packages/**/package.json", "*.lock"],
            ["packages/a/package.json", "packages/a/b/package.json", "packages/a/index.js", "yarn.lock", "sub/yarn.lock"]);

        Assert.Equal(["packages/a/b/package.json", "packages/a/package.json", "yarn.lock"], matched);
    }

    [Fact]
    public async Task A_published_archive_is_found_by_its_key_only_in_its_own_repository()
    {
        var cache = new BlockCache(_root, 1 << 20, NullLogger.Instance);
        var mine = BlockCache.ScopeOf("/home/me/repo");
        var theirs = BlockCache.ScopeOf("https://git.example/other");

        var size = await cache.PublishAsync(mine, "sha256:k1", new MemoryStream([1, 2, 3, 4]), CancellationToken.None);

        Assert.Equal(4, size);
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(cache.Find(mine, "sha256:k1")!));
        Assert.Null(cache.Find(theirs, "sha256:k1"));
        Assert.Null(cache.Find(mine, "sha256:k2"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "tmp")));
    }

    [Fact]
    public async Task Past_its_bound_the_least_recently_used_archives_go_and_their_keys_miss()
    {
        var cache = new BlockCache(_root, 10, NullLogger.Instance);
        var scope = BlockCache.ScopeOf("repo");
        await cache.PublishAsync(scope, "sha256:old", new MemoryStream(new byte[6]), CancellationToken.None);
        File.SetLastWriteTimeUtc(cache.Find(scope, "sha256:old")!, DateTime.UtcNow.AddHours(-1));

        await cache.PublishAsync(scope, "sha256:new", new MemoryStream([1, 1, 1, 1, 1, 1]), CancellationToken.None);

        Assert.Null(cache.Find(scope, "sha256:old"));
        Assert.NotNull(cache.Find(scope, "sha256:new"));
        Assert.True(cache.Size() <= 10);
    }

    private static Dictionary<string, WorkspaceEntry> Files(params (string Path, string Blob)[] files) =>
        files.ToDictionary(f => f.Path, f => new WorkspaceEntry(f.Path, GuestEntryKind.File, false, f.Blob, ""), StringComparer.Ordinal);
}
