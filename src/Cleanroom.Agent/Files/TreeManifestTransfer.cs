using System.Text;
using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>Lists a guest tree with git blob ids, so the host can tell what changed without copying it.</summary>
internal sealed class TreeManifestTransfer(uint channel, TreeManifestMessage request, OutboundFrames outbound) : ICreditedTransfer
{
    private readonly CreditWindow _credit = new(request.InitialCredit);

    public void GrantCredit(uint bytes) => _credit.Grant(bytes);

    public void Abort() => _credit.Close();

    public void Run()
    {
        if (GuestPath.Problem(request.Root) is { } problem)
        {
            Fail(new ErrorMessage(AgentErrorCodes.InvalidPath, problem, 0));
            return;
        }
        var stream = new CreditedFrameStream(channel, outbound, _credit);
        try
        {
            uint count = 0;
            foreach (var entry in TreeWalker.Walk(request.Root, request.ExcludedNames.ToHashSet(StringComparer.Ordinal)))
            {
                if (count == 0 && entry.Status.Kind != FileStatus.Kind.Directory)
                {
                    Fail(new ErrorMessage(AgentErrorCodes.NotADirectory, $"{request.Root} is not a directory", 0));
                    return;
                }
                if (++count > request.MaxEntries)
                {
                    stream.Flush();
                    Fail(new ErrorMessage(AgentErrorCodes.TooLarge, $"{request.Root} has more than {request.MaxEntries} entries", 0));
                    return;
                }
                stream.Write(Describe(entry).Encode());
            }
            stream.Flush();
            outbound.Send(FrameType.FileEnd, channel);
        }
        catch (IOException) when (stream.Aborted)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(FileErrors.Describe(request.Root, "list", e));
        }
    }

    private static TreeEntry Describe(TreeWalker.Entry entry)
    {
        var status = entry.Status;
        var (kind, hash, target) = status.Kind switch
        {
            FileStatus.Kind.Regular => (TreeEntryKind.File, GitBlobId.OfFile(entry.FullPath, status.Size), ""),
            FileStatus.Kind.Directory => (TreeEntryKind.Directory, "", ""),
            FileStatus.Kind.SymbolicLink => LinkEntry(entry.FullPath),
            _ => (TreeEntryKind.Other, "", ""),
        };
        return new TreeEntry(kind, entry.RelativePath, status.Permissions, (ulong)Math.Max(0, status.Size), status.ModifiedUnixSeconds, hash, target);
    }

    private static (TreeEntryKind, string, string) LinkEntry(string path)
    {
        var target = new FileInfo(path).LinkTarget ?? "";
        return (TreeEntryKind.SymbolicLink, GitBlobId.OfBytes(Encoding.UTF8.GetBytes(target)), target);
    }

    private void Fail(ErrorMessage error) => outbound.Send(FrameType.Error, channel, error.Encode());
}
