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

    // Directories of this transfer: true when it made them (empty before, nothing in them but this archive's entries).
    private readonly Dictionary<string, bool> _directories = new(StringComparer.Ordinal);

    // Paths this transfer has written; writing one again must replace it, not write through it.
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

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
            var root = request.Root.Length > 1 ? request.Root.TrimEnd('/') : request.Root;
            var existing = FileStatus.Lstat(root);
            if (existing is { Kind: not FileStatus.Kind.Directory })
                Remove(root);
            if (existing is not { Kind: FileStatus.Kind.Directory })
                Directory.CreateDirectory(root);
            _directories[root] = existing is not { Kind: FileStatus.Kind.Directory } || !Directory.EnumerateFileSystemEntries(root).Any();
            using (var reader = new TarReader(_pipe))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    if (Apply(root, entry) is { } refusal)
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

    private ErrorMessage? Apply(string root, TarEntry entry)
    {
        // A global PAX header (git archive writes the commit id in one) names no file.
        if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
            return null;
        if (RelativeMember.Normalize(entry.Name, out var problem) is not { } name)
            return new ErrorMessage(AgentErrorCodes.InvalidPath, problem!, 0);
        var path = Path.Join(root, name);
        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.ContainsKey(TreeArchive.DeleteAttribute))
        {
            Remove(path);
            ForgetBelow(path);
            return null;
        }
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                EnsureDirectory(path);
                if (entry.Mode != CreatedDirectoryMode)
                    File.SetUnixFileMode(path, entry.Mode);
                return null;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                WriteFile(path, entry);
                return null;
            case TarEntryType.SymbolicLink:
                var fresh = EnsureDirectory(Path.GetDirectoryName(path)!) && _written.Add(path);
                if (!fresh)
                    Remove(path);
                File.CreateSymbolicLink(path, entry.LinkName);
                return null;
            default:
                return new ErrorMessage(AgentErrorCodes.BadRequest, $"archive entry {name} has type {entry.EntryType}, which is not unpacked", 0);
        }
    }

    /// <summary>
    /// In a directory this transfer made, nothing can be in the way, so the file is created in place (open, write,
    /// set mtime, close: every system call counts under gVisor's ptrace platform, and a repository has thousands of
    /// files). Anywhere else it replaces what is there through a temporary name and a rename.
    /// </summary>
    private void WriteFile(string path, TarEntry entry)
    {
        var fresh = EnsureDirectory(Path.GetDirectoryName(path)!) && _written.Add(path);
        if (fresh)
        {
            Create(path, FileMode.CreateNew, entry);
            return;
        }
        _written.Add(path);
        var temporary = $"{path}.cleanroom-{Environment.ProcessId}-{channel}.tmp";
        try
        {
            Create(temporary, FileMode.Create, entry);
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

    private static void Create(string path, FileMode mode, TarEntry entry)
    {
        var permissions = entry.Mode & (UnixFileMode)0x1FF;
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = mode, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0, UnixCreateMode = permissions,
        });
        entry.DataStream?.CopyTo(file, 256 * 1024);
        // The create mode went through the umask; only bits it took (or setuid and friends) need a chmod.
        if (((int)entry.Mode & (Umask.Value | ~0x1FF)) != 0)
            File.SetUnixFileMode(file.SafeFileHandle, entry.Mode);
        File.SetLastWriteTimeUtc(file.SafeFileHandle, entry.ModificationTime.UtcDateTime);
    }

    /// <summary>
    /// Makes <paramref name="directory"/> a real directory (a file or link in its place is removed, and so is a link
    /// among its parents below the root) and says whether this transfer made it, i.e. whether it held nothing but
    /// what this archive put there. Each directory is checked once per transfer.
    /// </summary>
    private bool EnsureDirectory(string directory)
    {
        if (_directories.TryGetValue(directory, out var known))
            return known;
        var parent = Path.GetDirectoryName(directory)!;
        var parentFresh = EnsureDirectory(parent);
        bool fresh;
        if (parentFresh && !_written.Contains(directory))
        {
            Directory.CreateDirectory(directory);
            fresh = true;
        }
        else
        {
            var status = FileStatus.Lstat(directory);
            if (status is { Kind: not FileStatus.Kind.Directory })
                Remove(directory);
            if (status is not { Kind: FileStatus.Kind.Directory })
                Directory.CreateDirectory(directory);
            fresh = status is not { Kind: FileStatus.Kind.Directory };
        }
        _directories[directory] = fresh;
        return fresh;
    }

    /// <summary>After a deletion, what was known about the paths under it no longer holds.</summary>
    private void ForgetBelow(string path)
    {
        foreach (var key in _directories.Keys.Where(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
            _directories.Remove(key);
        _written.RemoveWhere(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal));
        _written.Add(path); // something may be recreated here later in this archive: take the careful path
    }

    private static readonly UnixFileMode CreatedDirectoryMode = (UnixFileMode)(0x1FF & ~Umask.Value);

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
