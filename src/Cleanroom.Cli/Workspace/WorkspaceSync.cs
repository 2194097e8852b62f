using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Cleanroom.Workspace;
using WorkspaceChange = Cleanroom.Workspace.WorkspaceChange;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Cli.Workspace;

/// <summary>
/// The client side of repository-aware sandboxes: HEAD into the guest, local changes in on request,
/// sandbox changes back out into the matching checkout. The server keeps the baseline; this side
/// reads the checkout with git and writes it only through <see cref="LocalTreeWriter"/>.
/// </summary>
internal sealed class WorkspaceSync(CliConsole console, CleanroomClient client)
{
    /// <summary>Largest total of file content copy-out brings back by default.</summary>
    public const long DefaultMaxCopyOutBytes = 256L << 20;

    private static readonly HostProgram Git = new(NullLogger.Instance, ErrorCode.InvalidArgument, TimeSpan.FromMinutes(5));

    public static Task<GitCheckout?> FindCheckoutAsync(string directory, CancellationToken cancellationToken) =>
        GitCheckout.FindAsync(Git, directory, cancellationToken);

    /// <summary>Puts the committed HEAD of <paramref name="checkout"/> at <paramref name="guestPath"/> and records it as the workspace.</summary>
    public async Task MaterializeAsync(string sandboxId, GitCheckout checkout, string guestPath, CancellationToken cancellationToken)
    {
        await using var spool = ArchiveTransfer.CreateSpool();
        await checkout.ArchiveHeadAsync(spool, cancellationToken);
        spool.Position = 0;
        var origin = new WorkspaceOrigin { Commit = checkout.Head, CheckoutPath = checkout.Root, Replace = true };
        var result = await ArchiveTransfer.UploadAsync(client, sandboxId, guestPath, origin, spool, cancellationToken);
        console.Error.WriteLine($"cleanroom: workspace {guestPath} at {checkout.Head[..12]} ({result.Entries} entries from {checkout.Root})");
    }

    /// <summary>Brings tracked edits, deletions and untracked-but-not-ignored files on top of the sandbox's workspace.</summary>
    public async Task<int> CopyInAsync(string sandboxId, GitCheckout checkout, string guestPath, bool dryRun, CancellationToken cancellationToken)
    {
        var changes = await checkout.LocalChangesAsync(cancellationToken);
        foreach (var change in changes)
            console.Error.WriteLine($"{change.Letter} {change.Path}");
        if (dryRun || changes.Count == 0)
        {
            console.Error.WriteLine(changes.Count == 0 ? "cleanroom: no local changes to copy in" : $"cleanroom: would copy {changes.Count} change(s) in (dry run)");
            return changes.Count;
        }
        await using var spool = ArchiveTransfer.CreateSpool();
        await LocalTreeArchive.WriteChangesAsync(checkout.Root, changes, spool, cancellationToken);
        spool.Position = 0;
        var origin = new WorkspaceOrigin { Commit = checkout.Head, CheckoutPath = checkout.Root, Replace = false };
        await ArchiveTransfer.UploadAsync(client, sandboxId, guestPath, origin, spool, cancellationToken);
        console.Error.WriteLine($"cleanroom: copied {changes.Count} local change(s) into {guestPath}");
        return changes.Count;
    }

    public async Task<GetWorkspaceChangesResponse> ChangesAsync(string sandboxId, CancellationToken cancellationToken) =>
        await client.Workspaces.GetWorkspaceChangesAsync(new GetWorkspaceChangesRequest { SandboxId = sandboxId }, cancellationToken: cancellationToken);

    /// <summary>
    /// Writes the sandbox's workspace changes into the local checkout. Refuses (nothing written) when the
    /// checkout's HEAD is not the workspace's commit or a local file is no longer what the sandbox started
    /// from, unless <paramref name="force"/>. Returns the number of paths written or deleted.
    /// </summary>
    public async Task<int> CopyOutAsync(string sandboxId, string? localDirectory, bool dryRun, bool force, long maxBytes, CancellationToken cancellationToken)
    {
        var response = await ChangesAsync(sandboxId, cancellationToken);
        var workspace = response.Workspace;
        var checkout = await FindCheckoutAsync(localDirectory ?? workspace.CheckoutPath, cancellationToken)
            ?? throw new CleanroomException(ErrorCode.NotAGitCheckout, $"{localDirectory ?? workspace.CheckoutPath} is not a git checkout to copy into");
        if (checkout.Head != workspace.Commit && !force)
        {
            throw new CleanroomException(ErrorCode.CheckoutMoved,
                $"the checkout at {checkout.Root} is at {checkout.Head[..12]}, but sandbox {sandboxId} started from {workspace.Commit[..12]}; check that commit out, or pass --force");
        }

        var changes = response.Changes.Select(FromProto).ToList();
        var writer = new LocalTreeWriter(checkout.Root, forbidGitDirectory: true);
        var plan = await CopyOutPlan.BuildAsync(changes, writer, paths => checkout.IgnoredAsync(paths, cancellationToken), cancellationToken);
        foreach (var change in plan.Changes)
            console.Error.WriteLine($"{Letter(change.Kind)} {change.Path}");
        foreach (var ignored in plan.Ignored)
            console.Error.WriteLine($"  (ignored by the checkout, not copied: {ignored})");
        if (plan.Conflicts.Count > 0 && !force)
        {
            foreach (var conflict in plan.Conflicts)
                console.Error.WriteLine($"conflict: {conflict}");
            throw new CleanroomException(ErrorCode.WorkspaceConflict,
                $"{plan.Conflicts.Count} local file(s) changed since the sandbox's baseline; nothing was written (--force overwrites them)");
        }
        if (dryRun || plan.Changes.Count == 0)
        {
            console.Error.WriteLine(plan.Changes.Count == 0 ? "cleanroom: no sandbox changes to copy out" : $"cleanroom: would write {plan.Changes.Count} path(s) into {checkout.Root} (dry run)");
            return plan.Changes.Count;
        }

        var wanted = plan.Changes.Where(c => c.After is not null).Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var accepted = new AcceptWorkspaceChangesRequest { SandboxId = sandboxId };
        if (wanted.Count > 0)
        {
            await using var archive = await ArchiveTransfer.DownloadAsync(client, sandboxId, workspace.GuestPath, wanted.Order(StringComparer.Ordinal), maxBytes, cancellationToken);
            var written = await SandboxArchiveExtractor.ExtractAsync(archive, writer, name => wanted.Contains(name) ? name : null, maxBytes, cancellationToken);
            foreach (var path in written)
            {
                // The baseline records what landed here, even if the sandbox changed the file since the listing.
                if (await CopyOutPlan.LocalEntryAsync(checkout.Root, path, cancellationToken) is { } entry)
                    accepted.Files.Add(new WorkspaceFile { Path = path, Kind = entry.Kind == GuestEntryKind.File ? "file" : "symlink", Executable = entry.Executable, BlobId = entry.BlobId, LinkTarget = entry.LinkTarget });
            }
        }
        foreach (var deleted in plan.Changes.Where(c => c.Kind == WorkspaceChangeKind.Deleted))
        {
            writer.Delete(deleted.Path);
            accepted.DeletedPaths.Add(deleted.Path);
        }
        await client.Workspaces.AcceptWorkspaceChangesAsync(accepted, cancellationToken: cancellationToken);
        console.Error.WriteLine($"cleanroom: wrote {plan.Changes.Count} path(s) into {checkout.Root}");
        return plan.Changes.Count;
    }

    public static string Letter(WorkspaceChangeKind kind) => kind switch
    {
        WorkspaceChangeKind.Added => "A",
        WorkspaceChangeKind.Modified => "M",
        _ => "D",
    };

    public static Cleanroom.Workspace.WorkspaceChange FromProto(Api.V1.WorkspaceChange change) => new(
        change.Kind switch
        {
            "added" => WorkspaceChangeKind.Added,
            "modified" => WorkspaceChangeKind.Modified,
            "deleted" => WorkspaceChangeKind.Deleted,
            _ => throw new CleanroomException(ErrorCode.InvalidArgument, $"the server reported a change of unknown kind '{change.Kind}'"),
        },
        change.Path, FromProto(change.Before), FromProto(change.After));

    private static WorkspaceEntry? FromProto(WorkspaceFile? file) => file is null ? null : new WorkspaceEntry(
        file.Path, file.Kind == "symlink" ? GuestEntryKind.SymbolicLink : GuestEntryKind.File, file.Executable, file.BlobId, file.LinkTarget);
}
