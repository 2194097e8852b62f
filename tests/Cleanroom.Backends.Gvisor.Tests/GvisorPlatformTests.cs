using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// The platform decision against real runsc: what the start-up probe picks here, that a configured platform is
/// what sandboxes get, and (with a runsc that cannot start systrap) the fallback under auto and the refusal when
/// systrap was asked for by name.
/// </summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorPlatformTests(GvisorAssets assets) : IAsyncLifetime
{
    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task The_probe_picks_systrap_on_this_host_and_sandboxes_run_on_it()
    {
        var backend = _host.Backend();
        Assert.Null(backend.Platform);
        var health = await backend.ProbeAsync(CancellationToken.None);

        Assert.True(health.Usable, health.Reason);
        Assert.Equal(new PlatformDecision("systrap", "a probe sandbox started under systrap"), backend.Platform);
        Assert.Equal("", (await _host.RunscListAsync()).Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_host.SandboxRoot));
        var sandbox = await _host.ProvisionAsync(backend);
        Assert.All(GvisorTestHost.PlatformsOfContainer(sandbox.SandboxId), p => Assert.Equal("systrap", p));
    }

    [GvisorFact]
    public async Task A_configured_ptrace_is_probed_and_every_sandbox_runs_on_it()
    {
        var backend = _host.Backend(_host.Options(platform: PlatformChoice.Ptrace));
        var health = await backend.ProbeAsync(CancellationToken.None);

        Assert.True(health.Usable, health.Reason);
        Assert.Equal("ptrace", backend.Platform!.Platform);
        Assert.False(backend.Platform.Degraded);
        var sandbox = await _host.ProvisionAsync(backend);
        var platforms = GvisorTestHost.PlatformsOfContainer(sandbox.SandboxId);
        Assert.NotEmpty(platforms);
        Assert.All(platforms, p => Assert.Equal("ptrace", p));
        Assert.Equal(ExitStatus.Exited(0), (await ExecutionResult.RunAsync(sandbox, "true")).Exit);
    }

    [GvisorFact]
    public async Task Auto_falls_back_to_ptrace_where_systrap_cannot_start_and_says_why()
    {
        var backend = _host.Backend(_host.Options() with { Settings = GvisorSettings.Default with { RunscPath = RunscWithoutSystrap() } });
        var health = await backend.ProbeAsync(CancellationToken.None);

        Assert.True(health.Usable, health.Reason);
        Assert.Equal("ptrace", backend.Platform!.Platform);
        Assert.True(backend.Platform.Degraded);
        Assert.Contains("systrap is switched off by this test", backend.Platform.Reason);
        Assert.Equal("", (await _host.RunscListAsync()).Trim());
    }

    [GvisorFact]
    public async Task A_configured_systrap_that_cannot_start_makes_the_backend_unusable_instead_of_falling_back()
    {
        var options = _host.Options(platform: PlatformChoice.Systrap) with
        {
            Settings = GvisorSettings.Default with { Platform = PlatformChoice.Systrap, RunscPath = RunscWithoutSystrap() },
        };
        var backend = _host.Backend(options);
        var health = await backend.ProbeAsync(CancellationToken.None);

        Assert.False(health.Usable);
        Assert.Contains("backends.gvisor.platform is systrap", health.Reason);
        Assert.Contains("systrap is switched off by this test", health.Reason);
        Assert.Null(backend.Platform);
        Assert.Equal("", (await _host.RunscListAsync()).Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_host.SandboxRoot));
    }

    // The host's runsc behind a script that refuses --platform=systrap: a stand-in for a host where systrap fails.
    private string RunscWithoutSystrap()
    {
        var runsc = RepositoryPaths.FindOnPath("runsc")!;
        var path = Path.Combine(_host.Root, "runsc-without-systrap");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            for argument in "$@"; do
              [ "$argument" = --platform=systrap ] && { echo "systrap is switched off by this test" >&2; exit 1; }
            done
            exec {{runsc}} "$@"

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
