using System.Formats.Tar;
using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Sends members of a guest tree as a PAX tar: directories, regular files (mode and mtime kept) and
/// symbolic links. FIFOs, sockets and devices are left out: the host refuses them anyway. Hard links
/// are sent as independent files so the host never has to resolve a link between entries.
/// </summary>
internal sealed class ArchiveReadTransfer(uint channel, ArchiveReadMessage request, OutboundFrames outbound) : ICreditedTransfer
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
        var members = new List<string>();
        foreach (var member in request.Members)
        {
            if (RelativeMember.Normalize(member, out var memberProblem) is not { } normalized)
            {
                Fail(new ErrorMessage(AgentErrorCodes.InvalidPath, memberProblem!, 0));
                return;
            }
            members.Add(normalized);
        }
        var stream = new CreditedFrameStream(channel, outbound, _credit);
        try
        {
            var root = FileStatus.Lstat(request.Root) ?? throw new DirectoryNotFoundException(request.Root);
            if (root.Kind != FileStatus.Kind.Directory)
            {
                Fail(new ErrorMessage(AgentErrorCodes.NotADirectory, $"{request.Root} is not a directory", 0));
                return;
            }
            if (members.Count == 0)
                members.AddRange(TreeWalker.ChildNames(request.Root)); // not a whole walk: each member is walked below
            using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var member in members)
                    foreach (var entry in TreeWalker.WalkMember(request.Root, member))
                        Write(writer, entry);
            }
            stream.Flush();
            outbound.Send(FrameType.FileEnd, channel);
        }
        catch (IOException) when (stream.Aborted)
        {
            // The host went away; nobody is left to tell.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(FileErrors.Describe(request.Root, "archive", e));
        }
    }

    private static void Write(TarWriter writer, TreeWalker.Entry entry)
    {
        var status = entry.Status;
        var modified = DateTimeOffset.FromUnixTimeSeconds(status.ModifiedUnixSeconds);
        switch (status.Kind)
        {
            case FileStatus.Kind.Directory:
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, entry.RelativePath + "/")
                    { Mode = (UnixFileMode)status.Permissions, ModificationTime = modified });
                break;
            case FileStatus.Kind.SymbolicLink:
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, entry.RelativePath)
                    { Mode = (UnixFileMode)status.Permissions, ModificationTime = modified, LinkName = new FileInfo(entry.FullPath).LinkTarget ?? "" });
                break;
            case FileStatus.Kind.Regular:
                using (var data = new FixedLengthReadStream(
                           new FileStream(entry.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0), status.Size))
                {
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry.RelativePath)
                        { Mode = (UnixFileMode)status.Permissions, ModificationTime = modified, DataStream = data });
                }
                break;
        }
    }

    private void Fail(ErrorMessage error) => outbound.Send(FrameType.Error, channel, error.Encode());
}
