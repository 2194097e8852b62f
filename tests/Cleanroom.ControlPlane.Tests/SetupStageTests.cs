using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>What the control plane does between a sandbox's start and READY when its policy has setup blocks.</summary>
public class SetupStageTests
{
    private const string TwoBlocks =
        "  dependencies:\n    - name: deps\n      command: make deps\n      env:\n        CI: \"1\"\n"
        + "  services:\n    - name: db\n      command: make db\n";

    [Fact]
    public async Task Blocks_run_in_policy_order_in_the_repository_path_before_the_sandbox_is_ready()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, sandboxYaml: TwoBlocks), CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);

        var mkdir = await sandbox.NextExecutionAsync();
        Assert.Equal(["/bin/mkdir", "-p", "/workspace"], mkdir.Spec.Argv);
        mkdir.Exit(ExitStatus.Exited(0));
        var deps = await sandbox.NextExecutionAsync();
        Assert.Equal(["/bin/sh", "-c", "make deps"], deps.Spec.Argv);
        Assert.Equal("/workspace", deps.Spec.Cwd);
        Assert.Contains(new KeyValuePair<string, string>("CI", "1"), deps.Spec.Env);
        Assert.Equal(SandboxStatus.Provisioning, (await h.Control.GetSandboxAsync(created.Id, CancellationToken.None)).Status);
        deps.Exit(ExitStatus.Exited(0));
        var db = await sandbox.NextExecutionAsync();
        Assert.Equal(["/bin/sh", "-c", "make db"], db.Spec.Argv);
        db.Exit(ExitStatus.Exited(0));

        var ready = await h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Ready, ready.Status);
        var stages = h.Control.ReadSandboxEvents(created.Id)
            .Where(e => e.Type == SandboxEventTypes.Stage)
            .Select(e => System.Text.Json.JsonDocument.Parse(e.PayloadJson).RootElement.GetProperty("message").GetString()!).ToList();
        Assert.Contains(stages, m => m.StartsWith("dependencies block 'deps' succeeded in ", StringComparison.Ordinal));
        Assert.Contains(stages, m => m.StartsWith("services block 'db' succeeded in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_block_fails_the_sandbox_with_its_code_and_output_and_removes_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, sandboxYaml: TwoBlocks), CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        var deps = await sandbox.NextExecutionAsync();
        await deps.WriteAsync(OutputStream.Stderr, "make: *** No rule to make target 'deps'\n");
        deps.Exit(ExitStatus.Exited(2));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None));

        Assert.Equal(ErrorCode.DependencyFailed, error.Code);
        Assert.Contains("'deps' exited 2", error.Message);
        Assert.Contains("No rule to make target", error.Message);
        Assert.True(sandbox.Terminated);
    }

    [Fact]
    public async Task A_workspace_that_never_completes_fails_the_sandbox_with_workspace_incomplete()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, sandboxYaml: TwoBlocks) with { WorkspaceFollows = true }, CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);
        await WaitForEventAsync(h, created.Id, "waiting for the workspace");

        h.Time.Advance(h.Options.WorkspaceWait + TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None));
        Assert.Equal(ErrorCode.WorkspaceIncomplete, error.Code);
        Assert.True(sandbox.Terminated);
    }

    [Fact]
    public async Task Blocks_wait_for_the_workspace_and_run_once_it_is_complete()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, sandboxYaml: TwoBlocks) with { WorkspaceFollows = true }, CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);
        await WaitForEventAsync(h, created.Id, "waiting for the workspace");

        h.Control.CompleteWorkspace(created.Id);

        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        Assert.Equal(SandboxStatus.Ready, (await h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None)).Status);
        // Completing again (or for a sandbox that never waited) changes nothing.
        h.Control.CompleteWorkspace(created.Id);
    }

    [Fact]
    public async Task A_server_side_checkout_is_written_at_the_repository_path_before_the_blocks_run()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var repository = new RepositorySource("http://git.test:8080/org/repo at 0123456789ab", async (_, tree, path, ct) =>
            await tree.WriteArchiveAsync(path, new MemoryStream([1, 2, 3]), ct));
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false, sandboxYaml: TwoBlocks) with { Repository = repository }, CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);

        var mkdir = await sandbox.NextExecutionAsync();

        var (guestRoot, archive) = Assert.Single(sandbox.Archives);
        Assert.Equal("/workspace", guestRoot);
        Assert.Equal(new byte[] { 1, 2, 3 }, archive);
        mkdir.Exit(ExitStatus.Exited(0));
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        (await sandbox.NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        Assert.Equal(SandboxStatus.Ready, (await h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None)).Status);
        var stages = h.Control.ReadSandboxEvents(created.Id).Where(e => e.Type == SandboxEventTypes.Stage).Select(e => e.PayloadJson).ToList();
        Assert.Contains(stages, p => p.Contains("repository stage started: http://git.test:8080/org/repo at 0123456789ab into /workspace"));
        Assert.Contains(stages, p => p.Contains("repository stage succeeded in "));
    }

    [Fact]
    public async Task A_checkout_that_fails_fails_the_sandbox_with_its_code_and_removes_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var repository = new RepositorySource("http://git.test:8080/org/repo at 0123456789ab", (_, _, _, _) =>
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, "commit 0123 is no longer in http://git.test:8080/org/repo"));
        var created = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false) with { Repository = repository }, CancellationToken.None);
        var sandbox = await SandboxAsync(backend, created.Id);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(created.Id, CancellationToken.None));

        Assert.Equal(ErrorCode.RepositoryCheckoutFailed, error.Code);
        Assert.True(sandbox.Terminated);
        Assert.Equal(SandboxStatus.Failed, (await h.Control.GetSandboxAsync(created.Id, CancellationToken.None)).Status);
    }

    [Fact]
    public void A_checkout_and_a_following_workspace_cannot_both_be_asked_for()
    {
        var request = SandboxRequest(wait: false) with { Repository = new RepositorySource("x", (_, _, _, _) => Task.CompletedTask), WorkspaceFollows = true };

        var error = Assert.Throws<CleanroomException>(() => RequestValidation.Check(request));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
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

    private static async Task WaitForEventAsync(ControlPlaneHarness h, string id, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var item in h.Control.StreamSandboxEventsAsync(id, 0, timeout.Token))
        {
            if (item.PayloadJson.Contains(text))
                return;
        }
    }
}
