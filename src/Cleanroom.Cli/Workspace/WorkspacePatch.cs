using System.Text;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Cleanroom.Workspace;
using Microsoft.Extensions.Logging.Abstractions;
using WorkspaceChange = Cleanroom.Workspace.WorkspaceChange;

namespace Cleanroom.Cli.Workspace;

/// <summary>
/// <c>workspace diff --patch</c>: the sandbox's changes as a unified diff. The sandbox side is downloaded (through the
/// same safe extractor as copy-out) into a private temporary tree; the baseline side comes from the local checkout:
/// the working file when it still has the baseline's blob id, else the object from git. git renders the diff.
/// </summary>
internal sealed class WorkspacePatch(CliConsole console, CleanroomClient client)
{
    private static readonly HostProgram Git = new(NullLogger.Instance, ErrorCode.InvalidArgument, TimeSpan.FromMinutes(2));

    public async Task WriteAsync(string sandboxId, GetWorkspaceChangesResponse response, long maxBytes, CancellationToken cancellationToken)
    {
        var changes = response.Changes.Select(WorkspaceSync.FromProto).Where(c => (c.Before ?? c.After)!.Kind == GuestEntryKind.File).ToList();
        if (changes.Count == 0)
            return;
        var scratch = Directory.CreateTempSubdirectory("cleanroom-diff-").FullName;
        try
        {
            var before = Directory.CreateDirectory(Path.Combine(scratch, "a")).FullName;
            var after = Directory.CreateDirectory(Path.Combine(scratch, "b")).FullName;
            await FillSandboxSideAsync(sandboxId, response.Workspace.GuestPath, changes, after, maxBytes, cancellationToken);
            await FillBaselineSideAsync(response.Workspace.CheckoutPath, changes, before, cancellationToken);
            var diff = await Git.RunAsync(["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--src-prefix=", "--dst-prefix=", "a", "b"], scratch, cancellationToken);
            if (diff.ExitCode > 1)
                throw new CleanroomException(ErrorCode.InvalidArgument, $"git diff failed: {HostProgram.Tail(diff.Stderr)}");
            console.Out.Write(Relabel(diff.StdoutText));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task FillSandboxSideAsync(string sandboxId, string guestPath, IReadOnlyList<WorkspaceChange> changes, string after, long maxBytes,
        CancellationToken cancellationToken)
    {
        var wanted = changes.Where(c => c.After is not null).Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
            return;
        await using var archive = await ArchiveTransfer.DownloadAsync(client, sandboxId, guestPath, wanted.Order(StringComparer.Ordinal), maxBytes, cancellationToken);
        await SandboxArchiveExtractor.ExtractAsync(archive, new LocalTreeWriter(after, forbidGitDirectory: true), name => wanted.Contains(name) ? name : null, maxBytes, cancellationToken);
    }

    private static async Task FillBaselineSideAsync(string checkoutPath, IReadOnlyList<WorkspaceChange> changes, string before, CancellationToken cancellationToken)
    {
        var writer = new LocalTreeWriter(before, forbidGitDirectory: true);
        foreach (var change in changes.Where(c => c.Before is not null))
        {
            var baseline = change.Before!;
            var local = Path.Combine(checkoutPath, change.Path);
            byte[]? content = null;
            if (await CopyOutPlan.LocalEntryAsync(checkoutPath, change.Path, cancellationToken) is { } entry && entry.BlobId == baseline.BlobId)
                content = await File.ReadAllBytesAsync(local, cancellationToken);
            else if (await Git.RunAsync(["git", "-C", checkoutPath, "cat-file", "blob", baseline.BlobId], null, cancellationToken) is { Succeeded: true } blob)
                content = blob.Stdout;
            content ??= Encoding.UTF8.GetBytes($"(the baseline content {baseline.BlobId} is not in {checkoutPath})\n");
            await writer.WriteFileAsync(change.Path, new MemoryStream(content), baseline.Executable ? (UnixFileMode)0x1ed : (UnixFileMode)0x1a4, null, cancellationToken);
        }
    }

    /// <summary>git names the two trees a/ and b/; a reader wants the workspace paths with the usual a/ b/ prefixes.</summary>
    private static string Relabel(string diff)
    {
        var lines = diff.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("diff --git a/", StringComparison.Ordinal) || line.StartsWith("diff --git b/", StringComparison.Ordinal))
            {
                var parts = line["diff --git ".Length..].Split(' ', 2);
                lines[i] = $"diff --git a/{Strip(parts[0])} b/{Strip(parts.Length > 1 ? parts[1] : parts[0])}";
            }
            else if (line.StartsWith("--- a/", StringComparison.Ordinal) || line.StartsWith("+++ b/", StringComparison.Ordinal)
                     || line.StartsWith("--- b/", StringComparison.Ordinal) || line.StartsWith("+++ a/", StringComparison.Ordinal))
            {
                lines[i] = $"{line[..4]}{(line[0] == '-' ? "a/" : "b/")}{Strip(line[4..])}";
            }
        }
        return string.Join('\n', lines);
    }

    private static string Strip(string path) => path.Length > 2 && (path.StartsWith("a/", StringComparison.Ordinal) || path.StartsWith("b/", StringComparison.Ordinal)) ? path[2..] : path;
}
