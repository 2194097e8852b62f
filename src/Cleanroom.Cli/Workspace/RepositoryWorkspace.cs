using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Workspace;

/// <summary>
/// What repository-aware verbs (exec, create) do to a new sandbox: inside a git checkout, HEAD goes to
/// the policy's repository.path (and the local changes too with --copy-in); outside one, nothing.
/// A failure here terminates the sandbox: a sandbox without the code it was made for is no use.
/// </summary>
internal static class RepositoryWorkspace
{
    public static async Task<bool> PrepareAsync(CliConsole console, CleanroomClient client, string sandboxId, string? chdir, string guestPath,
        bool copyIn, CancellationToken cancellationToken)
    {
        try
        {
            var checkout = await WorkspaceSync.FindCheckoutAsync(console.ResolvePath(chdir), cancellationToken);
            if (checkout is null)
            {
                if (copyIn)
                    throw new CleanroomException(ErrorCode.NotAGitCheckout, "--copy-in needs a git checkout; run it inside one (or use --chdir)");
                return false;
            }
            var sync = new WorkspaceSync(console, client);
            await sync.MaterializeAsync(sandboxId, checkout, guestPath, cancellationToken);
            if (copyIn)
                await sync.CopyInAsync(sandboxId, checkout, guestPath, dryRun: false, cancellationToken);
            return true;
        }
        catch
        {
            await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId }, cancellationToken: CancellationToken.None);
            throw;
        }
    }
}
