using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Grpc.Core;

namespace Cleanroom.Server.Tests;

/// <summary>What WorkspaceService refuses, over the real gRPC socket (the test backend copies no trees).</summary>
public sealed class WorkspaceApiTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;

    public async Task InitializeAsync() => _server = await ServerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> NewSandboxAsync(Cleanroom.Client.CleanroomClient client)
    {
        var policy = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: busybox@{ServerUnderTest.Digest}\n", "test").Policy!;
        return (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson, PolicyHash = policy.PolicyHash })).Sandbox.SandboxId;
    }

    private static async Task<string> CodeOf(Func<Task> call) => (await Assert.ThrowsAnyAsync<CleanroomException>(call)).Code;

    [Fact]
    public async Task A_backend_that_cannot_copy_trees_is_refused_with_capability_mismatch_and_nothing_is_recorded()
    {
        using var client = _server.Client();
        var id = await NewSandboxAsync(client);

        var code = await CodeOf(async () =>
        {
            using var call = client.Workspaces.UploadSandboxArchive();
            await call.RequestStream.WriteAsync(new UploadSandboxArchiveRequest
            {
                SandboxId = id, Path = "/workspace", Workspace = new WorkspaceOrigin { Commit = "c", CheckoutPath = "/x", Replace = true },
            });
            await call.RequestStream.CompleteAsync();
            await call;
        });

        Assert.Equal(ErrorCode.BackendCapabilityMismatch, code);
        Assert.Equal(ErrorCode.NotFound, await CodeOf(() => client.Workspaces.GetWorkspaceChangesAsync(new GetWorkspaceChangesRequest { SandboxId = id }).ResponseAsync));
        Assert.Null((await client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = id })).Sandbox.Workspace);
    }

    [Fact]
    public async Task Relative_guest_paths_and_unknown_sandboxes_are_refused()
    {
        using var client = _server.Client();
        var id = await NewSandboxAsync(client);

        Assert.Equal(ErrorCode.InvalidArgument, await CodeOf(() =>
            client.Workspaces.ListSandboxTreeAsync(new ListSandboxTreeRequest { SandboxId = id, Path = "relative/path" }).ResponseAsync));
        Assert.Equal(ErrorCode.NotFound, await CodeOf(() =>
            client.Workspaces.ListSandboxTreeAsync(new ListSandboxTreeRequest { SandboxId = "sb-missing", Path = "/" }).ResponseAsync));
        Assert.Equal(ErrorCode.InvalidArgument, await CodeOf(async () =>
        {
            using var call = client.Workspaces.DownloadSandboxArchive(new DownloadSandboxArchiveRequest { SandboxId = id, Path = "" });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }));
    }
}
