using System.Formats.Tar;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Unpacks a tar from the host under a guest directory: directories, regular files (written to a
/// temporary name and renamed, mode and mtime kept), symbolic links, and deletions (entries marked
/// with <see cref="TreeArchive.DeleteAttribute"/>). Whatever is in the way of an entry (a file where a
/// directory goes, a link where a file goes) is replaced, never followed. Runs on a worker thread fed by
/// <see cref="ChunkPipeStream"/>.
/// </summary>
internal sealed class ArchiveWriteTransfer(uint channel, ArchiveWriteMessage request, OutboundFrames outbound)
{
    private readonly ChunkPipeStream _pipe = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _failed;

    public Task Completion => _done.Task;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (!_failed)
            _pipe.Add(data);
    }

    public void Complete() => _pipe.Complete();

    public void Run()
    {
        try
        {
            if (GuestPath.Problem(request.Root) is { } problem)
            {
                Fail(new ErrorMessage(AgentErrorCodes.InvalidPath, problem, 0));
                return;
            }
            Directory.CreateDirectory(request.Root);
            using (var reader = new TarReader(_pipe))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    if (Apply(entry) is { } refusal)
                    {
                        Fail(refusal);
                        return;
                    }
                }
            }
            // Drain anything after the end-of-archive blocks so the frame reader is never left blocked.
            _pipe.CopyTo(Stream.Null);
            outbound.Send(FrameType.FileWritten, channel, new FileWrittenMessage((ulong)_pipe.BytesReceived).Encode());
        }
        catch (InvalidDataException e)
        {
            Fail(new ErrorMessage(AgentErrorCodes.BadRequest, $"the archive for {request.Root} is not a valid tar: {e.Message}", 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(FileErrors.Describe(request.Root, "unpack into", e));
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    private ErrorMessage? Apply(TarEntry entry)
    {
        // A global PAX header (git archive writes the commit id in one) names no file.
        if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
            return null;
        if (RelativeMember.Normalize(entry.Name, out var problem) is not { } name)
            return new ErrorMessage(AgentErrorCodes.InvalidPath, problem!, 0);
        var path = Path.Join(request.Root, name);
        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.ContainsKey(TreeArchive.DeleteAttribute))
        {
            Remove(path);
            return null;
        }
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (FileStatus.Lstat(path) is { Kind: not FileStatus.Kind.Directory })
                    Remove(path);
                Directory.CreateDirectory(path);
                File.SetUnixFileMode(path, entry.Mode);
                return null;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                WriteFile(path, entry);
                return null;
            case TarEntryType.SymbolicLink:
                PrepareParent(path);
                Remove(path);
                File.CreateSymbolicLink(path, entry.LinkName);
                return null;
            default:
                return new ErrorMessage(AgentErrorCodes.BadRequest, $"archive entry {name} has type {entry.EntryType}, which is not unpacked", 0);
        }
    }

    private void WriteFile(string path, TarEntry entry)
    {
        PrepareParent(path);
        var temporary = $"{path}.cleanroom-{Environment.ProcessId}-{channel}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
                entry.DataStream?.CopyTo(file, 256 * 1024);
            File.SetUnixFileMode(temporary, entry.Mode);
            File.SetLastWriteTimeUtc(temporary, entry.ModificationTime.UtcDateTime);
            if (FileStatus.Lstat(path) is { Kind: FileStatus.Kind.Directory })
                Remove(path);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    /// <summary>Makes the parent a real directory: a file or a link in its place is removed first.</summary>
    private void PrepareParent(string path)
    {
        var parent = Path.GetDirectoryName(path)!;
        if (parent.Length <= request.Root.TrimEnd('/').Length)
            return;
        PrepareParent(parent);
        if (FileStatus.Lstat(parent) is { } status && status.Kind != FileStatus.Kind.Directory)
            Remove(parent);
        Directory.CreateDirectory(parent);
    }

    /// <summary>Removes a path of any kind without following links. Missing is fine.</summary>
    private static void Remove(string path)
    {
        switch (FileStatus.Lstat(path)?.Kind)
        {
            case null:
                return;
            case FileStatus.Kind.Directory:
                Directory.Delete(path, recursive: true);
                return;
            default:
                File.Delete(path);
                return;
        }
    }

    private void Fail(ErrorMessage error)
    {
        _failed = true;
        _pipe.Complete();
        outbound.Send(FrameType.Error, channel, error.Encode());
    }
}
