using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>
/// Where Docker fits in a sandbox's setup when its policy requires it: the image is checked before anything else runs,
/// dockerd starts after the dependency blocks and before the service blocks, and either failing fails the sandbox with
/// <c>docker_unavailable</c> and removes it. (The scripts themselves run for real in DockerEndToEndTests.)
/// </summary>
public class DockerSetupTests
{
    private const string DockerWithBlocks =
        "  docker:\n    required: true\n"
        + "  dependencies:\n    - name: deps\n      command: make deps\n"
        + "  services:\n    - name: db\n      command: make db\n";

    [Fact]
    public async Task The_image_is_checked_first_and_dockerd_starts_between_the_dependency_and_service_blocks()
    {
        var backend = new ScriptedBackend { Capabilities = ScriptedBackend.FullCapabilities.With(CapabilityNames.Docker, true) };
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, docker: true, sandboxYaml: DockerWithBlocks), CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);

        var check = await sandbox.NextExecutionAsync();
        Assert.Contains("for program in dockerd docker containerd runc iptables", check.Spec.Argv[^1]);
        check.Exit(ExitStatus.Exited(0));
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0)); // mkdir -p /workspace
        var deps = await sandbox.NextExecutionAsync();
        Assert.Equal(["/bin/sh", "-c", "make deps"], deps.Spec.Argv);
        deps.Exit(ExitStatus.Exited(0));
        var start = await sandbox.NextExecutionAsync();
        Assert.Contains("dockerd --host=unix:///var/run/docker.sock", start.Spec.Argv[^1]);
        await start.WriteAsync(OutputStream.Stdout, "docker 20.10.24, dockerd 20.10.24, storage driver overlay2, cgroup v2\n");
        start.Exit(ExitStatus.Exited(0));
        var db = await sandbox.NextExecutionAsync();
        Assert.Equal(["/bin/sh", "-c", "make db"], db.Spec.Argv);
        db.Exit(ExitStatus.Exited(0));

        Assert.Equal(SandboxStatus.Ready, (await h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None)).Status);
        var stages = h.Control.ReadSandboxEvents(created.Id).Where(e => e.Type == SandboxEventTypes.Stage)
            .Select(e => System.Text.Json.JsonDocument.Parse(e.PayloadJson).RootElement.GetProperty("message").GetString()!).ToList();
        Assert.Contains(stages, m => m.StartsWith("services block 'dockerd' dockerd ready (docker 20.10.24, dockerd 20.10.24, storage driver overlay2, cgroup v2) in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_without_docker_fails_with_docker_unavailable_before_any_block_and_is_removed()
    {
        var backend = new ScriptedBackend { Capabilities = ScriptedBackend.FullCapabilities.With(CapabilityNames.Docker, true) };
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, docker: true, sandboxYaml: DockerWithBlocks), CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);

        var check = await sandbox.NextExecutionAsync();
        await check.WriteAsync(OutputStream.Stdout, "the image has no dockerd docker containerd runc\n");
        check.Exit(ExitStatus.Exited(3));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None));
        Assert.Equal(ErrorCode.DockerUnavailable, error.Code);
        Assert.Contains("the image has no dockerd docker containerd runc", error.Message);
        Assert.True(sandbox.Terminated);
        Assert.Equal(SandboxStatus.Failed, (await h.Control.GetSandboxAsync(created.Id, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_dockerd_that_does_not_come_up_fails_the_sandbox_with_its_log()
    {
        var backend = new ScriptedBackend { Capabilities = ScriptedBackend.FullCapabilities.With(CapabilityNames.Docker, true) };
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, docker: true, sandboxYaml: "  docker:\n    required: true\n"), CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0)); // the check
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0)); // mkdir -p /workspace
        var start = await sandbox.NextExecutionAsync();
        await start.WriteAsync(OutputStream.Stdout, "dockerd did not start (exited); the end of its log:\nfailed to start daemon: Devices cgroup isn't mounted\n");
        start.Exit(ExitStatus.Exited(5));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None));
        Assert.Equal(ErrorCode.DockerUnavailable, error.Code);
        Assert.Contains("Devices cgroup isn't mounted", error.Message);
        Assert.True(sandbox.Terminated);
    }

    [Fact]
    public async Task A_backend_without_docker_refuses_the_policy_naming_the_feature()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            h.Control.CreateSandboxAsync(SandboxRequest(docker: true, sandboxYaml: "  docker:\n    required: true\n"), CancellationToken.None));

        Assert.Equal(ErrorCode.BackendCapabilityMismatch, error.Code);
        Assert.Contains(CapabilityNames.Docker, error.Message);
    }

    private static async Task<ScriptedSandbox> SandboxAsync(ScriptedBackend backend, string id)
    {
        while (true)
        {
            var (provisioned, succeeded) = await backend.Provisioned.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (provisioned == id && succeeded)
                return backend.Sandboxes[id];
        }
    }
}
