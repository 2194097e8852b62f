using System.CommandLine;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Workspace;
using Cleanroom.Errors;
using Cleanroom.Workspace;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom cp SRC DST</c> with <c>ID:/path</c> on exactly one side: files and directory trees, modes and
/// mtimes kept. Like cp: an existing directory as DST receives SRC inside it; otherwise DST is the copy's name.
/// </summary>
internal static class CpCommand
{
    public static Command Build(CliConsole console)
    {
        var host = CommonOptions.Host();
        var maxBytes = WorkspaceCommand.MaxBytes();
        var source = new Argument<string>("source") { Description = "A local path, or SANDBOX_ID:/absolute/path" };
        var destination = new Argument<string>("destination") { Description = "A local path, or SANDBOX_ID:/absolute/path" };
        var command = new Command("cp", "Copy files or directories between this host and a sandbox.") { host, maxBytes, source, destination };
        command.Aliases.Add("copy");
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var from = SandboxPath.Parse(parse.GetValue(source)!);
            var to = SandboxPath.Parse(parse.GetValue(destination)!);
            if ((from is null) == (to is null))
                throw new CleanroomException(ErrorCode.InvalidArgument, "name a sandbox path (ID:/path) on exactly one side of cp");
            if (to is { } guest)
                await CopyInAsync(client, console.ResolvePath(parse.GetValue(source)), guest, token);
            else
                await CopyOutAsync(client, from!, console.ResolvePath(parse.GetValue(destination)), parse.GetValue(maxBytes), token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static async Task CopyInAsync(CleanroomClient client, string local, SandboxPath guest, CancellationToken token)
    {
        if (!File.Exists(local) && !Directory.Exists(local) && new FileInfo(local).LinkTarget is null)
            throw new CleanroomException(ErrorCode.NotFound, $"{local} does not exist");
        var (root, name) = await IsGuestDirectoryAsync(client, guest, token)
            ? (guest.Path, Path.GetFileName(local.TrimEnd('/')))
            : (ParentOf(guest.Path), Path.GetFileName(guest.Path.TrimEnd('/')));
        await using var spool = ArchiveTransfer.CreateSpool();
        await LocalTreeArchive.WriteTreeAsync(local, name, spool, token);
        spool.Position = 0;
        await ArchiveTransfer.UploadAsync(client, guest.SandboxId, root, origin: null, spool, token);
    }

    private static async Task CopyOutAsync(CleanroomClient client, SandboxPath guest, string local, long maxBytes, CancellationToken token)
    {
        var sourceName = Path.GetFileName(guest.Path.TrimEnd('/'));
        if (sourceName.Length == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "copy a named file or directory out, not the sandbox's /");
        var intoExisting = Directory.Exists(local) && new DirectoryInfo(local).LinkTarget is null;
        var (root, topName) = intoExisting ? (local, sourceName) : (Path.GetDirectoryName(Path.GetFullPath(local))!, Path.GetFileName(local.TrimEnd('/')));
        if (!Directory.Exists(root))
            throw new CleanroomException(ErrorCode.NotFound, $"{root} does not exist");
        await using var archive = await ArchiveTransfer.DownloadAsync(client, guest.SandboxId, ParentOf(guest.Path), [sourceName], maxBytes, token);
        var writer = new LocalTreeWriter(root, forbidGitDirectory: false);
        // Entries are named from the source's name; the top one is renamed to the destination's.
        await SandboxArchiveExtractor.ExtractAsync(archive, writer,
            name => name == sourceName ? topName : name.StartsWith(sourceName + "/", StringComparison.Ordinal) ? topName + name[sourceName.Length..] : null,
            maxBytes, token);
    }

    private static async Task<bool> IsGuestDirectoryAsync(CleanroomClient client, SandboxPath guest, CancellationToken token)
    {
        try
        {
            var listing = await client.Workspaces.ListSandboxTreeAsync(new ListSandboxTreeRequest { SandboxId = guest.SandboxId, Path = guest.Path, MaxEntries = 1 }, cancellationToken: token);
            return listing.Entries.Count > 0 && listing.Entries[0].Kind == "directory";
        }
        catch (CleanroomException e) when (e.Code is ErrorCode.NotFound or ErrorCode.InvalidArgument or ErrorCode.TooLarge)
        {
            // Missing, not a directory, or a directory with more entries than the one asked for.
            return e.Code == ErrorCode.TooLarge;
        }
    }

    private static string ParentOf(string guestPath)
    {
        var trimmed = guestPath.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? "/" : trimmed[..slash];
    }

    private sealed record SandboxPath(string SandboxId, string Path)
    {
        /// <summary>"ID:/path" → the pair; a plain local path → null.</summary>
        public static SandboxPath? Parse(string text)
        {
            var colon = text.IndexOf(':');
            if (colon <= 0 || text.Contains('/') && text.IndexOf('/') < colon)
                return null;
            var path = text[(colon + 1)..];
            if (!path.StartsWith('/'))
                throw new CleanroomException(ErrorCode.InvalidArgument, $"'{text}': the sandbox path after ':' must be absolute");
            return new SandboxPath(text[..colon], path);
        }
    }
}
