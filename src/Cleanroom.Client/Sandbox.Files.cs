using System.Formats.Tar;
using System.IO.Pipelines;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;

namespace Cleanroom.Client;

public sealed partial class Sandbox
{
    // One upload message: big enough that per-message overhead does not matter, far below the server's 16 MiB limit.
    private const int UploadChunkBytes = 256 * 1024;

    /// <summary>The largest file <see cref="ReadFileAsync"/> reads unless told otherwise (the server's own limit is 32 MiB).</summary>
    public const long DefaultMaxFileBytes = 32 * 1024 * 1024;

    /// <summary>Reads a whole file from the sandbox; <c>too_large</c> when it is bigger than <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]> ReadFileAsync(string guestPath, long maxBytes = DefaultMaxFileBytes, CancellationToken cancellationToken = default)
    {
        var response = await _client.Sandboxes.DownloadSandboxFileAsync(
            new DownloadSandboxFileRequest { SandboxId = Id, Path = guestPath, MaxBytes = maxBytes },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.Truncated)
            throw new CleanroomException(ErrorCode.TooLarge,
                $"{guestPath} in sandbox {Id} has {response.SizeBytes} bytes, more than {maxBytes}; use DownloadDirectoryAsync for large files");
        return response.Data.ToByteArray();
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="guestPath"/> (absolute), creating its directory and replacing a file there.</summary>
    public async Task WriteFileAsync(string guestPath, ReadOnlyMemory<byte> content, UnixFileMode mode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(guestPath) || !guestPath.StartsWith('/') || guestPath.EndsWith('/'))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"'{guestPath}' is not an absolute path to a file");
        var directory = Path.GetDirectoryName(guestPath) ?? "/";
        var name = Path.GetFileName(guestPath);
        await UploadArchiveAsync(directory, async archive =>
        {
            await using var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(content.ToArray()) };
            await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the local directory tree <paramref name="localDirectory"/> into <paramref name="guestDirectory"/> (created if missing).</summary>
    public Task UploadDirectoryAsync(string localDirectory, string guestDirectory, CancellationToken cancellationToken = default) =>
        UploadArchiveAsync(guestDirectory,
            archive => TarFile.CreateFromDirectoryAsync(localDirectory, archive, includeBaseDirectory: false, cancellationToken),
            cancellationToken);

    /// <summary>
    /// Copies the sandbox's <paramref name="guestDirectory"/> tree into <paramref name="localDirectory"/> (which must exist).
    /// Entries that would land outside it are refused by the extraction, whatever the archive says.
    /// </summary>
    public async Task DownloadDirectoryAsync(string guestDirectory, string localDirectory, CancellationToken cancellationToken = default)
    {
        using var call = _client.Workspaces.DownloadSandboxArchive(
            new DownloadSandboxArchiveRequest { SandboxId = Id, Path = guestDirectory }, cancellationToken: cancellationToken);
        var pipe = new Pipe();
        async Task ReceiveAsync()
        {
            try
            {
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    await pipe.Writer.WriteAsync(call.ResponseStream.Current.Data.Memory, cancellationToken).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }
        var receiving = ReceiveAsync();
        await using (var archive = pipe.Reader.AsStream())
            await TarFile.ExtractToDirectoryAsync(archive, localDirectory, overwriteFiles: true, cancellationToken).ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
    }

    /// <summary>The files under <paramref name="guestPath"/>, recursively (up to the server's limit of entries).</summary>
    public async Task<IReadOnlyList<SandboxFileEntry>> ListFilesAsync(string guestPath, CancellationToken cancellationToken = default)
    {
        var response = await _client.Workspaces.ListSandboxTreeAsync(new ListSandboxTreeRequest { SandboxId = Id, Path = guestPath },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Entries.Select(e => new SandboxFileEntry(e.Path, e.Kind, (UnixFileMode)(e.Mode & 0xFFF), e.Size,
            DateTimeOffset.FromUnixTimeSeconds(e.ModifiedUnixSeconds), string.IsNullOrEmpty(e.LinkTarget) ? null : e.LinkTarget)).ToList();
    }

    /// <summary>Streams the archive <paramref name="write"/> produces to the server, unpacked under <paramref name="guestDirectory"/>.</summary>
    private async Task UploadArchiveAsync(string guestDirectory, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        using var call = _client.Workspaces.UploadSandboxArchive(cancellationToken: cancellationToken);
        var pipe = new Pipe();
        async Task ProduceAsync()
        {
            try
            {
                await using (var archive = pipe.Writer.AsStream(leaveOpen: true))
                    await write(archive).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }
        var producing = ProduceAsync();
        var first = true;
        var buffer = new byte[UploadChunkBytes];
        await using (var archive = pipe.Reader.AsStream())
        {
            int read;
            while ((read = await archive.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var message = new UploadSandboxArchiveRequest { Data = ByteString.CopyFrom(buffer, 0, read) };
                if (first)
                {
                    message.SandboxId = Id;
                    message.Path = guestDirectory;
                    first = false;
                }
                await call.RequestStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        await producing.ConfigureAwait(false);
        if (first)
            await call.RequestStream.WriteAsync(new UploadSandboxArchiveRequest { SandboxId = Id, Path = guestDirectory }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        await call.ResponseAsync.ConfigureAwait(false);
    }
}

/// <summary>A file, directory or link in a sandbox.</summary>
/// <param name="Path">Relative to the listed directory.</param>
/// <param name="Kind"><c>file</c>, <c>directory</c>, <c>symlink</c> or <c>other</c>.</param>
/// <param name="Mode">Permission bits.</param>
/// <param name="Size">Bytes (files).</param>
/// <param name="Modified">Last modification.</param>
/// <param name="LinkTarget">Where a symlink points; else null.</param>
public sealed record SandboxFileEntry(string Path, string Kind, UnixFileMode Mode, long Size, DateTimeOffset Modified, string? LinkTarget);
