using System.Diagnostics;
using System.Text.Json;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cleanroom.Api.Tests.TestDoubles;

/// <summary>
/// A SandboxService whose behaviour is chosen by the request, so each test can provoke the outcome it checks:
/// GetSandbox with a stable code as the id throws that code; "boom" throws a plain bug; "slow" waits for cancellation.
/// </summary>
public sealed class FakeSandboxService : SandboxService.SandboxServiceBase
{
    public const string SecretBugText = "secret-internal-detail /home/dev/src/Thing.cs:line 42";

    public static Sandbox Sandbox(string id, SandboxStatus status) => new()
    {
        SandboxId = id,
        Status = status,
        Backend = "gvisor",
        PolicyHash = "sha256:abc",
        CreatedAt = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)),
    };

    public override async Task<ListSandboxesResponse> ListSandboxes(ListSandboxesRequest request, ServerCallContext context)
    {
        // GetHttpContext() is how an implementation reaches HTTP details; it must work under both protocols.
        await context.WriteResponseHeadersAsync(new Metadata
        {
            { "x-served-by", "fake" },
            { "x-http-path", context.GetHttpContext().Request.Path.Value ?? "" },
        });
        context.ResponseTrailers.Add("x-sandbox-count", "2");
        return new ListSandboxesResponse
        {
            Sandboxes = { Sandbox("sb-1", SandboxStatus.Ready), Sandbox("sb-2", SandboxStatus.Provisioning) },
        };
    }

    public override async Task<GetSandboxResponse> GetSandbox(GetSandboxRequest request, ServerCallContext context)
    {
        switch (request.SandboxId)
        {
            case "sb-1":
                return new GetSandboxResponse { Sandbox = Sandbox("sb-1", SandboxStatus.Ready) };
            case "boom":
                throw new InvalidOperationException(SecretBugText);
            case "slow":
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                throw new UnreachableException();
            case "rpc-not-found":
                throw new RpcException(new Status(StatusCode.NotFound, "plain rpc not found"));
            default:
                var failure = new CleanroomException(request.SandboxId, $"failure for {request.SandboxId}");
                failure.Data["host"] = "registry.example.test";
                throw failure;
        }
    }

    /// <summary>
    /// Accepts a policy_json object with "version": 1, or (without policy_json) upstream's policy message with version 1
    /// and an image; anything else is policy_invalid.
    /// </summary>
    public override Task<CreateSandboxResponse> CreateSandbox(CreateSandboxRequest request, ServerCallContext context)
    {
        if (request.PolicyJson.Length == 0 && request.Policy is { Version: 1, ImageRef.Length: > 0 } upstream)
        {
            var fromUpstream = Sandbox("sb-new", SandboxStatus.Ready);
            fromUpstream.ImageRef = upstream.ImageRef;
            return Task.FromResult(new CreateSandboxResponse { Sandbox = fromUpstream, PolicySource = "request" });
        }

        try
        {
            using var policy = JsonDocument.Parse(request.PolicyJson);
            if (policy.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number
                && version.GetInt32() == 1)
            {
                var sandbox = Sandbox("sb-new", SandboxStatus.Provisioning);
                sandbox.PolicyHash = request.PolicyHash;
                return Task.FromResult(new CreateSandboxResponse { Sandbox = sandbox, PolicySource = "request" });
            }
        }
        catch (JsonException)
        {
        }
        throw new CleanroomException(ErrorCode.PolicyInvalid, "policy must be a JSON object with \"version\": 1");
    }

    public override Task<DownloadSandboxFileResponse> DownloadSandboxFile(DownloadSandboxFileRequest request, ServerCallContext context) =>
        Task.FromResult(new DownloadSandboxFileResponse
        {
            SandboxId = request.SandboxId, Path = request.Path, Data = ByteString.CopyFromUtf8("file-bytes"), SizeBytes = 10,
        });

    public override Task<TerminateSandboxResponse> TerminateSandbox(TerminateSandboxRequest request, ServerCallContext context) =>
        Task.FromResult(new TerminateSandboxResponse { SandboxId = request.SandboxId, Terminated = true });

    /// <summary>Three events; for "fail-mid-stream" two events then backend_unavailable.</summary>
    public override async Task StreamSandboxEvents(StreamSandboxEventsRequest request, IServerStreamWriter<SandboxEvent> responseStream,
        ServerCallContext context)
    {
        var statuses = new[] { SandboxStatus.Provisioning, SandboxStatus.Ready, SandboxStatus.Stopping };
        for (var i = 0; i < statuses.Length; i++)
        {
            if (request.SandboxId == "fail-mid-stream" && i == 2)
                throw new CleanroomException(ErrorCode.BackendUnavailable, "backend went away");
            await responseStream.WriteAsync(new SandboxEvent
            {
                SandboxId = request.SandboxId, Status = statuses[i], Message = $"event {i}",
            });
        }
        context.ResponseTrailers.Add("x-events", "3");
    }
}
