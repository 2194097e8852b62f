using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Server.Tests;

/// <summary>What the server accepts and refuses in CreateSandbox and friends, over the real gRPC socket.</summary>
public sealed class ServerApiTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;

    public async Task InitializeAsync() => _server = await ServerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static CompiledPolicy Compile(string extra = "") =>
        PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: busybox@{ServerUnderTest.Digest}\n{extra}", "test").Policy!;

    private async Task<string> CodeOf(Func<Task> call)
    {
        var error = await Assert.ThrowsAnyAsync<CleanroomException>(call);
        return error.Code;
    }

    [Fact]
    public async Task The_server_recomputes_the_hash_and_refuses_a_mismatch()
    {
        using var client = _server.Client();
        var policy = Compile();

        var code = await CodeOf(() => client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
        {
            PolicyJson = policy.CanonicalJson,
            PolicyHash = "sha256:" + new string('0', 64),
        }).ResponseAsync);

        Assert.Equal(ErrorCode.PolicyInvalid, code);
    }

    [Fact]
    public async Task A_tampered_policy_document_is_refused()
    {
        using var client = _server.Client();
        var tampered = Compile().CanonicalJson.Replace("\"deny\"", "\"allow\"");

        Assert.Equal(ErrorCode.PolicyInvalid, await CodeOf(() => client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = tampered }).ResponseAsync));
        Assert.Equal(ErrorCode.PolicyInvalid, await CodeOf(() => client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest()).ResponseAsync));
    }

    [Fact]
    public async Task An_upstream_shaped_policy_is_compiled_by_the_same_rules()
    {
        using var client = _server.Client();
        var upstream = new Cleanroom.Api.V1.Policy { Version = 1, ImageRef = $"busybox@{ServerUnderTest.Digest}", NetworkDefault = "deny" };

        var created = await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { Policy = upstream });

        Assert.Equal(SandboxStatus.Ready, created.Sandbox.Status);
        Assert.Equal(Compile().PolicyHash, created.Sandbox.PolicyHash);

        upstream.ImageRef = "busybox:latest";
        Assert.Equal(ErrorCode.PolicyInvalid, await CodeOf(() => client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { Policy = upstream }).ResponseAsync));
    }

    [Fact]
    public async Task An_unknown_backend_is_backend_unavailable()
    {
        using var client = _server.Client();

        var code = await CodeOf(() => client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
        {
            PolicyJson = Compile().CanonicalJson,
            Backend = "firecracker",
        }).ResponseAsync);

        Assert.Equal(ErrorCode.BackendUnavailable, code);
    }

    [Fact]
    public async Task Another_image_gives_the_sandbox_a_policy_hash_of_its_own()
    {
        using var client = _server.Client();
        var other = "busybox@sha256:" + new string('a', 64);

        var created = await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = Compile().CanonicalJson, ImageRef = other });

        Assert.Equal(other, created.Sandbox.ImageRef);
        Assert.NotEqual(Compile().PolicyHash, created.Sandbox.PolicyHash);
        // A tag is looked up in the server's image store; one it does not have is not_found.
        Assert.Equal(ErrorCode.NotFound, await CodeOf(() => client.Sandboxes.CreateSandboxAsync(
            new CreateSandboxRequest { PolicyJson = Compile().CanonicalJson, ImageRef = "busybox:latest" }).ResponseAsync));
    }

    [Fact]
    public async Task Unknown_ids_are_not_found_and_missing_ids_are_invalid()
    {
        using var client = _server.Client();

        Assert.Equal(ErrorCode.NotFound, await CodeOf(() => client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = "sb-nope" }).ResponseAsync));
        Assert.Equal(ErrorCode.NotFound, await CodeOf(() => client.Executions.GetExecutionAsync(new GetExecutionRequest { ExecutionId = "ex-nope" }).ResponseAsync));
        Assert.Equal(ErrorCode.InvalidArgument, await CodeOf(() => client.Sandboxes.GetSandboxAsync(new GetSandboxRequest()).ResponseAsync));
    }

    [Fact]
    public async Task Download_returns_a_file_from_the_sandbox_bounded_by_max_bytes()
    {
        using var client = _server.Client();
        var sandbox = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = Compile().CanonicalJson })).Sandbox;
        var file = Path.Combine(_server.Root, "report.txt");
        await File.WriteAllTextAsync(file, "0123456789");

        var whole = await client.Sandboxes.DownloadSandboxFileAsync(new DownloadSandboxFileRequest { SandboxId = sandbox.SandboxId, Path = file });
        var head = await client.Sandboxes.DownloadSandboxFileAsync(new DownloadSandboxFileRequest { SandboxId = sandbox.SandboxId, Path = file, MaxBytes = 4 });

        Assert.Equal("0123456789", whole.Data.ToStringUtf8());
        Assert.False(whole.Truncated);
        Assert.Equal("0123", head.Data.ToStringUtf8());
        Assert.True(head.Truncated);
        Assert.Equal(10, head.SizeBytes);
        Assert.Equal(ErrorCode.InvalidArgument, await CodeOf(() => client.Sandboxes.DownloadSandboxFileAsync(
            new DownloadSandboxFileRequest { SandboxId = sandbox.SandboxId, Path = "relative.txt" }).ResponseAsync));
    }

    [Fact]
    public async Task Stdin_data_reaches_the_workload()
    {
        using var client = _server.Client();
        var sandbox = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = Compile().CanonicalJson })).Sandbox;
        var request = new CreateExecutionRequest
        {
            SandboxId = sandbox.SandboxId,
            StdinData = Google.Protobuf.ByteString.CopyFromUtf8("piped in\n"),
            Options = new ExecutionOptions { Stdin = true },
        };
        request.Command.Add("cat");

        var execution = (await client.Executions.CreateExecutionAsync(request)).Execution;
        using var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = execution.ExecutionId, Follow = true });
        var output = new List<byte>();
        ExecutionExit? exit = null;
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            var item = stream.ResponseStream.Current;
            output.AddRange(item.Stdout.ToByteArray());
            exit ??= item.Exit;
        }

        Assert.Equal("piped in\n", System.Text.Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(ExecutionStatus.Succeeded, exit!.Status);
    }

    [Fact]
    public async Task The_warm_pool_spare_of_a_policy_is_listed_as_an_image_in_use()
    {
        using var client = _server.Client();
        var policy = Compile();
        var before = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        var sandbox = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson })).Sandbox;
        // The next spare starts once the new sandbox has run its first command; by the time that command's end is
        // streamed, the spare is there.
        var run = new CreateExecutionRequest { SandboxId = sandbox.SandboxId };
        run.Command.Add("true");
        var execution = (await client.Executions.CreateExecutionAsync(run)).Execution;
        using (var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = execution.ExecutionId, Follow = true }))
        {
            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }
        var after = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.DoesNotContain(policy.Image.Reference, before.WarmPoolImageRefs);
        Assert.Equal([policy.Image.Reference], after.WarmPoolImageRefs);
        Assert.DoesNotContain(after.Sandboxes, s => s.Status == SandboxStatus.Provisioning);
    }
}
