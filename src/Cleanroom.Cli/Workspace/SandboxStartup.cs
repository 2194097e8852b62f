using Cleanroom.Client;
using Cleanroom.Api.V1;
using Sandbox = Cleanroom.Api.V1.Sandbox;
using Cleanroom.Cli.Client;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Workspace;

/// <summary>
/// How repository-aware verbs (exec, create) bring a new sandbox to READY with the checkout in it. When the policy
/// has dependency or service blocks, those must see the repository: the sandbox is created with
/// <c>workspace_follows</c>, the workspace is uploaded while it is PROVISIONING (the server holds the upload until the
/// sandbox has started), completed, and only then do the blocks run. Otherwise the workspace goes in after READY.
/// </summary>
internal static class SandboxStartup
{
    /// <summary>Creates the sandbox (answered while PROVISIONING); says whether its workspace follows.</summary>
    public static async Task<(Sandbox Started, bool WorkspaceFollows)> StartAsync(
        CliConsole console, CleanroomClient client, SubmittedPolicy submitted, string? chdir, bool repositoryAware, CancellationToken cancellationToken)
    {
        // A sandbox from a snapshot has the workspace the snapshot holds: nothing of the checkout goes in.
        var follows = repositoryAware && submitted.Request.FromSnapshot.Length == 0 && submitted.Policy.RepositoryEnabled && submitted.HasSetupBlocks
            && await WorkspaceSync.FindCheckoutAsync(console.ResolvePath(chdir), cancellationToken) is not null;
        submitted.Request.WorkspaceFollows = follows;
        return (await SandboxReadiness.StartAsync(client, submitted.Request, cancellationToken), follows);
    }

    /// <summary>Brings a started sandbox to READY with its workspace, showing the server's progress on stderr.</summary>
    public static async Task<Sandbox> FinishAsync(CliConsole console, CleanroomClient client, Sandbox started, bool workspaceFollows,
        SubmittedPolicy submitted, string? chdir, bool repositoryAware, bool copyIn, CancellationToken cancellationToken)
    {
        // repository.enabled: false makes a policy repository-agnostic: nothing of the checkout goes in.
        repositoryAware &= submitted.Policy.RepositoryEnabled && submitted.Request.FromSnapshot.Length == 0;
        if (!workspaceFollows)
        {
            var ready = await SandboxReadiness.WaitUntilReadyAsync(console, client, started, cancellationToken);
            if (repositoryAware)
                await RepositoryWorkspace.PrepareAsync(console, client, ready.SandboxId, chdir, submitted.RepositoryPath, copyIn, cancellationToken);
            return ready;
        }

        // Progress (image pull, then the blocks) is shown while the workspace goes in.
        var readiness = SandboxReadiness.WaitUntilReadyAsync(console, client, started, cancellationToken);
        try
        {
            await RepositoryWorkspace.PrepareAsync(console, client, started.SandboxId, chdir, submitted.RepositoryPath, copyIn, cancellationToken);
            await client.Workspaces.CompleteWorkspaceAsync(new CompleteWorkspaceRequest { SandboxId = started.SandboxId }, cancellationToken: cancellationToken);
        }
        catch (Exception uploadFailure)
        {
            // When provisioning failed, that failure (its code, say image_not_found) is the one to report; when the upload
            // failed on its own, the sandbox was removed, and the upload's error says why.
            try
            {
                await readiness;
            }
            catch (CleanroomException provisioning) when (provisioning.Code != ErrorCode.InvalidArgument)
            {
                throw;
            }
            catch (Exception)
            {
                // The sandbox was terminated because of the upload's failure: nothing more to say than that failure.
            }
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(uploadFailure);
            throw;
        }
        return await readiness;
    }

    /// <summary>
    /// Creates a sandbox from a repository the server checks out itself (<c>--repo-url</c>), says where its policy
    /// came from, and waits until it is READY, showing the server's progress (the checkout, then any blocks).
    /// </summary>
    public static async Task<Sandbox> StartFromRepositoryAsync(CliConsole console, CleanroomClient client, RepositoryCheckout checkout,
        string? backend, bool allowAll, string? image, bool noCache, CancellationToken cancellationToken)
    {
        if (allowAll)
            console.Error.WriteLine("warning: --dangerously-allow-all: this sandbox may reach any host; the choice is recorded on the sandbox and in the audit log");
        var response = await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
        {
            Backend = backend ?? "",
            DangerouslyAllowAll = allowAll,
            ImageRef = image ?? "",
            RepositoryCheckout = checkout,
            ReturnWhileProvisioning = true,
            NoCache = noCache,
        }, cancellationToken: cancellationToken);
        console.Error.WriteLine($"cleanroom: policy {response.PolicySource}");
        return await SandboxReadiness.WaitUntilReadyAsync(console, client, response.Sandbox, cancellationToken);
    }
}
