using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.SandboxService over the control plane; serves gRPC and Connect alike.</summary>
internal sealed partial class SandboxApi(
    SandboxControl control, ServerSettings settings, Cleanroom.Images.ImageStore images, SandboxAccess access, LazyImagePull? imagePull = null,
    Ports.PortExposures? exposures = null, Routes.HttpsRoutes? routes = null, Checkouts.RepositoryCheckouts? checkouts = null)
    : V1.SandboxService.SandboxServiceBase
{
    /// <summary>Largest file DownloadSandboxFile returns in one response, whatever the client asks.</summary>
    private const long MaxDownloadBytes = 32 * 1024 * 1024;

    public override async Task<V1.CreateSandboxResponse> CreateSandbox(V1.CreateSandboxRequest request, ServerCallContext context)
    {
        if (!string.IsNullOrEmpty(request.ImageRef) && !request.ImageRef.Contains('@'))
        {
            // --image with a tag: the server's store says which digest the tag names now, and the sandbox is
            // pinned to that digest (the response's image_ref shows it).
            request.ImageRef = images.Resolve(request.ImageRef).Reference?.ToString()
                ?? throw new CleanroomException(ErrorCode.NotFound, $"image {request.ImageRef} has no name in the store");
        }

        // The backend asked for and allow-all before anything is fetched or made; the image once the policy names it.
        // A backend left to the server is checked by the control plane once it is chosen (AllowedBackends).
        var backend = string.IsNullOrEmpty(request.Backend) ? settings.DefaultBackend : request.Backend;
        SandboxAccess.RequireGranted(context, backend, null, request.DangerouslyAllowAll);
        var (policy, repository, policySource) = request.RepositoryCheckout is null
            ? (PolicyIntake.Accept(request), null, "")
            : await CheckOutAsync(request, context.CancellationToken);
        var image = policy.Image.Reference;
        SandboxAccess.RequireGranted(context, backend, image, request.DangerouslyAllowAll);
        var sandbox = await control.CreateSandboxAsync(SandboxRequests.For(policy, backend, request.DangerouslyAllowAll, settings) with
        {
            // A missing image is pulled while the sandbox is PROVISIONING, its progress on the sandbox's events.
            Prepare = imagePull is null ? null : (id, ct) => imagePull.EnsurePresentAsync(id, image, ct),
            WaitUntilReady = !request.ReturnWhileProvisioning && !request.WorkspaceFollows,
            WorkspaceFollows = request.WorkspaceFollows,
            Repository = repository,
            NoCache = request.NoCache,
            Labels = new Dictionary<string, string>(request.Labels, StringComparer.Ordinal),
            EnsureKey = string.IsNullOrEmpty(request.EnsureKey) ? null : request.EnsureKey,
            Owner = SandboxAccess.OwnerFor(context),
            AllowedBackends = SandboxAccess.AllowedBackends(context),
            FromSnapshot = string.IsNullOrEmpty(request.FromSnapshot) ? null : request.FromSnapshot,
        }, context.CancellationToken);

        return new V1.CreateSandboxResponse
        {
            Sandbox = ProtoMapping.ToProto(sandbox),
            PolicySource = policySource,
            Message = $"sandbox {sandbox.Id} is {StatusNames.Of(sandbox.Status)}",
        };
    }

    /// <summary>
    /// A create from a repository checkout: the server fetches the repository, takes the policy from the commit, and
    /// refuses (before anything is made) a policy that does not allow the repository's host in its repository stage.
    /// </summary>
    private async Task<(Cleanroom.Policy.CompiledPolicy, RepositorySource, string)> CheckOutAsync(V1.CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(request.PolicyJson) || request.Policy is not null)
            throw new CleanroomException(ErrorCode.InvalidArgument, "send repository_checkout without policy or policy_json: the policy comes from the repository's commit");
        if (request.WorkspaceFollows)
            throw new CleanroomException(ErrorCode.InvalidArgument, "repository_checkout and workspace_follows cannot both be set: a sandbox has one repository");
        if (checkouts is null)
        {
            throw new CleanroomException(ErrorCode.GatewayUnavailable,
                "this server has no host gateway (no egress enforcement here), and server-side repository checkouts fetch through it");
        }

        var checkout = request.RepositoryCheckout;
        var fetched = await checkouts.FetchAsync(checkout.Url, checkout.Commit, checkout.Ref, cancellationToken);
        var policy = string.IsNullOrEmpty(request.ImageRef) ? fetched.Policy : PolicyIntake.WithImage(fetched.Policy, request.ImageRef);
        if (!policy.RepositoryEnabled)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{fetched.PolicySource} sets repository.enabled: false, so no checkout goes into its sandboxes; create it without repository_checkout");
        }
        Checkouts.RepositoryCheckouts.RequireAllowed(fetched, policy, request.DangerouslyAllowAll);
        var repository = new RepositorySource(fetched.Description,
            (id, tree, path, ct) => Checkouts.CheckoutTree.WriteAsync(checkouts, control, id, fetched, tree, path, ct));
        return (policy, repository, fetched.PolicySource);
    }

    public override async Task<V1.GetSandboxResponse> GetSandbox(V1.GetSandboxRequest request, ServerCallContext context)
    {
        var sandbox = await access.SandboxAsync(context, RequireId(request.SandboxId, "sandbox_id"));
        return new V1.GetSandboxResponse { Sandbox = WithLiveDetails(ProtoMapping.ToProto(sandbox)) };
    }

    public override async Task<V1.ListSandboxesResponse> ListSandboxes(V1.ListSandboxesRequest request, ServerCallContext context)
    {
        var response = new V1.ListSandboxesResponse();
        foreach (var sandbox in await control.ListSandboxesAsync(context.CancellationToken))
        {
            if (!sandbox.HasLabels(request.Labels) || !access.Sees(context, sandbox))
                continue;
            response.Sandboxes.Add(WithLiveDetails(ProtoMapping.ToProto(sandbox)));
        }

        response.WarmPoolImageRefs.AddRange(control.WarmPoolImageRefs());

        return response;
    }

    public override async Task<V1.TerminateSandboxResponse> TerminateSandbox(V1.TerminateSandboxRequest request, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        if (request.NoWait)
        {
            // STOPPING is recorded before the first await; the rest goes on without this caller.
            var removal = control.TerminateSandboxAsync(id, CancellationToken.None);
            if (!removal.IsCompleted)
            {
                var current = await control.GetSandboxAsync(id, context.CancellationToken);
                return new V1.TerminateSandboxResponse { SandboxId = id, Terminated = false, Message = $"sandbox {id} is {StatusNames.Of(current.Status)}" };
            }
        }

        var sandbox = await control.TerminateSandboxAsync(id, context.CancellationToken);
        return new V1.TerminateSandboxResponse
        {
            SandboxId = sandbox.Id,
            Terminated = sandbox.Status is ControlPlane.SandboxStatus.Stopped or ControlPlane.SandboxStatus.Failed,
            Message = $"sandbox {sandbox.Id} is {StatusNames.Of(sandbox.Status)}",
        };
    }

    public override async Task<V1.SuspendSandboxResponse> SuspendSandbox(V1.SuspendSandboxRequest request, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var sandbox = await control.SuspendSandboxAsync(id, context.CancellationToken);
        return new V1.SuspendSandboxResponse { Sandbox = WithLiveDetails(ProtoMapping.ToProto(sandbox)) };
    }

    public override async Task<V1.ResumeSandboxResponse> ResumeSandbox(V1.ResumeSandboxRequest request, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var sandbox = await control.ResumeSandboxAsync(id, context.CancellationToken);
        return new V1.ResumeSandboxResponse { Sandbox = WithLiveDetails(ProtoMapping.ToProto(sandbox)) };
    }

    public override async Task StreamSandboxEvents(
        V1.StreamSandboxEventsRequest request, IServerStreamWriter<V1.SandboxEvent> responseStream, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var token = context.CancellationToken;
        if (!request.Follow)
        {
            // Without follow: what has happened so far, then the end of the stream.
            var current = await control.GetSandboxAsync(id, token);
            foreach (var item in control.ReadSandboxEvents(id))
            {
                await responseStream.WriteAsync(ProtoMapping.ToProto(item, current.Status), token);
            }

            return;
        }

        await foreach (var item in control.StreamSandboxEventsAsync(id, afterSeq: 0, token))
        {
            var current = await control.GetSandboxAsync(id, token);
            await responseStream.WriteAsync(ProtoMapping.ToProto(item, current.Status), token);
        }
    }

    public override async Task<V1.DownloadSandboxFileResponse> DownloadSandboxFile(V1.DownloadSandboxFileRequest request, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        if (string.IsNullOrEmpty(request.Path) || !request.Path.StartsWith('/'))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"path must be an absolute path in the sandbox, not '{request.Path}'");
        }

        if (request.MaxBytes < 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "max_bytes must not be negative");
        }

        var limit = request.MaxBytes == 0 ? MaxDownloadBytes : Math.Min(request.MaxBytes, MaxDownloadBytes);
        await using var file = await control.OpenFileAsync(id, request.Path, context.CancellationToken);
        var (data, total) = await BoundedRead.ReadAsync(file, limit, context.CancellationToken);
        return new V1.DownloadSandboxFileResponse
        {
            SandboxId = id,
            Path = request.Path,
            Data = Google.Protobuf.ByteString.CopyFrom(data),
            SizeBytes = total,
            Truncated = total > data.Length,
        };
    }

    /// <summary>What the sandbox record does not hold: its workspace, and the exposures and routes this server keeps for it.</summary>
    private V1.Sandbox WithLiveDetails(V1.Sandbox sandbox)
    {
        if (control.WorkspaceOf(sandbox.SandboxId) is { } workspace)
            sandbox.Workspace = new V1.WorkspaceInfo { GuestPath = workspace.GuestPath, Commit = workspace.Commit, CheckoutPath = workspace.CheckoutPath };
        foreach (var exposure in exposures?.Of(sandbox.SandboxId) ?? [])
            sandbox.Exposures.Add(PortApi.ToProto(exposure));
        if (routes is not null)
            sandbox.HttpsRoutes.AddRange(routes.Of(sandbox.SandboxId).Select(route => PortApi.ToProto(route, routes)));
        return sandbox;
    }

    internal static string RequireId(string value, string field) =>
        string.IsNullOrEmpty(value) ? throw new CleanroomException(ErrorCode.InvalidArgument, $"{field} is required") : value;
}
