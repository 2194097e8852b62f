namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Cached outputs of setup blocks through the whole product: a dependency block that downloads from the test's own
/// upstream (whose CGI program counts each download in a file on the host) runs at the first create and publishes
/// its outputs; the next create of the same repository restores them without running it; a changed input file, or
/// <c>--no-cache</c>, runs it again; a block that writes outside its declared outputs is never published.
/// </summary>
public sealed class BlockCacheEndToEndTests(BlockCacheEndToEndTests.World world) : SharedServerTests(world.Server), IClassFixture<BlockCacheEndToEndTests.World>
{
    private readonly RealServer _server = world.Server;
    private readonly string _counter = world.Counter;

    /// <summary>The counting upstream and one server, for every test (each test's repository and block are its own).</summary>
    public sealed class World : IAsyncLifetime
    {
        private UpstreamNamespace? _upstream;

        public RealServer Server { get; private set; } = null!;

        public string Counter { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _upstream = await UpstreamNamespace.StartAsync(async content =>
            {
                var cgi = Directory.CreateDirectory(Path.Combine(content, "www", "cgi-bin")).FullName;
                var counter = Path.Combine(content, "downloads.log");
                await File.WriteAllTextAsync(Path.Combine(cgi, "lib"),
                    $"#!/bin/sh\necho \"$QUERY_STRING\" >> {counter}\nprintf 'Content-Type: text/plain\\r\\n\\r\\nlibrary v1\\n'\n");
                File.SetUnixFileMode(Path.Combine(cgi, "lib"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return ["-h", Path.Combine(content, "www")];
            });
            Counter = Path.Combine(_upstream.ContentDirectory, "downloads.log");
            Server = await RealServer.StartAsync($"  dns:\n    hosts:\n      upstream.test: {UpstreamNamespace.Address}\n");
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
            if (_upstream is not null)
                await _upstream.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("gvisor")]
    [InlineData("qemu")]
    public async Task A_block_runs_once_its_outputs_are_restored_after_and_a_changed_input_runs_it_again(string backend)
    {
        var repo = await RepositoryAsync("deps-" + backend, "mkdir -p vendor && curl -sS -m 10 -o vendor/lib.txt " +
            $"http://upstream.test:{UpstreamNamespace.Port}/cgi-bin/lib?{backend}", outputs: "vendor");

        var first = await CreateAsync(repo, "--backend", backend);
        var second = await CreateAsync(repo, "--backend", backend);
        var block = $"dependencies block 'deps-{backend}'";

        Assert.True(first.Stderr.Contains($"{block} outputs cached ("), first.Stderr);
        Assert.Equal(1, Downloads(backend));
        Assert.True(second.Stderr.Contains($"{block} restored from the cache (/workspace/vendor)"), second.Stderr);
        Assert.DoesNotContain($"{block} started", second.Stderr);
        Assert.Equal("library v1\n", (await _server.CleanroomAsync("exec", "--in", second.Stdout.Trim(), "--", "cat", "/workspace/vendor/lib.txt")).Stdout);

        await File.WriteAllTextAsync(Path.Combine(repo, "lock.txt"), "lib 2\n");
        await Shell.CheckAsync("git", "-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qam", "bump");
        var changed = await CreateAsync(repo, "--backend", backend);
        var forced = await CreateAsync(repo, "--backend", backend, "--no-cache");
        var cachedAgain = await CreateAsync(repo, "--backend", backend);

        Assert.True(changed.Stderr.Contains($"{block} succeeded"), changed.Stderr);
        Assert.True(forced.Stderr.Contains($"{block} succeeded"), forced.Stderr);
        Assert.Equal(3, Downloads(backend));
        Assert.True(cachedAgain.Stderr.Contains("restored from the cache"), cachedAgain.Stderr);
    }

    [Fact]
    public async Task A_block_that_writes_outside_its_outputs_is_not_cached_and_says_why()
    {
        var repo = await RepositoryAsync("stray", "mkdir -p out && echo made > out/a && echo elsewhere > /root/stray.txt", outputs: "out");

        var first = await CreateAsync(repo);
        var second = await CreateAsync(repo);

        Assert.True(first.Stderr.Contains("dependencies block 'stray' outputs not cached: it wrote outside its declared outputs (/root/stray.txt)"), first.Stderr);
        Assert.True(second.Stderr.Contains("dependencies block 'stray' succeeded"), second.Stderr);
        Assert.DoesNotContain("restored from the cache", second.Stderr);
    }

    /// <summary>Downloads counted on the host by the upstream's CGI program, for this backend's test (its query names it).</summary>
    private int Downloads(string backend) => File.Exists(_counter) ? File.ReadAllLines(_counter).Count(l => l == backend) : 0;

    private async Task<ProgramResult> CreateAsync(string repo, params string[] flags)
    {
        var created = await _server.CleanroomAsync(["create", "--chdir", repo, .. flags]);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created;
    }

    /// <summary>A git checkout with a policy of one cached dependency block keyed on <c>lock.txt</c>.</summary>
    private async Task<string> RepositoryAsync(string block, string command, string outputs)
    {
        var repo = Directory.CreateDirectory(Path.Combine(_server.Root, "repo-" + block)).FullName;
        await File.WriteAllTextAsync(Path.Combine(repo, "lock.txt"), "lib 1\n");
        await File.WriteAllTextAsync(Path.Combine(repo, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n"
            + $"  network:\n    dependencies:\n      allow:\n        - upstream.test:{UpstreamNamespace.Port}\n"
            + $"  dependencies:\n    - name: {block}\n      command: {command}\n"
            + $"      inputs:\n        files: [lock.txt]\n      outputs:\n        dirs: [{outputs}]\n");
        await Shell.CheckAsync("git", "init", "-q", repo);
        await Shell.CheckAsync("git", "-C", repo, "add", ".");
        await Shell.CheckAsync("git", "-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qm", "init");
        return repo;
    }
}
