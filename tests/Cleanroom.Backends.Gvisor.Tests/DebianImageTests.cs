using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// GNU tools of the default (debian) image on both platforms: coreutils 9 use statx, which Debian 12's own runsc
/// (2022) answered with EINVAL, so `ls -l` and `stat` failed there; the bookworm-backports runsc implements it.
/// </summary>
[Collection(GvisorCollection.Name)]
public sealed class DebianImageTests(GvisorAssets assets) : IAsyncLifetime
{
    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorTheory]
    [InlineData(PlatformChoice.Auto)]
    [InlineData(PlatformChoice.Ptrace)]
    public async Task Ls_l_stat_and_cp_a_work_in_the_debian_image(PlatformChoice platform)
    {
        var spec = _host.Spec() with { ImageRef = await assets.DebianImageAsync() };
        var sandbox = await _host.ProvisionAsync(_host.Backend(_host.Options(platform: platform)), spec);

        var ls = await ExecutionResult.RunAsync(sandbox, "ls", "-l", "/");
        Assert.True(ls.Exit.ExitCode == 0, ls.Stderr);
        Assert.Matches(@"(?m)^d[rwx-]{9}\s+\d+ root root .* etc$", ls.Stdout);

        var stat = await ExecutionResult.RunAsync(sandbox, "stat", "-c", "%n %s %U %a", "/etc/passwd");
        Assert.True(stat.Exit.ExitCode == 0, stat.Stderr);
        Assert.Matches(@"^/etc/passwd \d+ root 644\n$", stat.Stdout);

        var copy = await ExecutionResult.RunAsync(sandbox, "sh", "-c",
            "cp -a /etc /tmp/x && diff -r --no-dereference /etc /tmp/x && stat -c '%a %U %Y' /etc/passwd /tmp/x/passwd");
        Assert.True(copy.Exit.ExitCode == 0, copy.Stderr);
        var modes = copy.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, modes.Length);
        Assert.Equal(modes[0], modes[1]); // cp -a kept mode, owner and mtime
    }
}
