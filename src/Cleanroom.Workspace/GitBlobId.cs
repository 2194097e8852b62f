using System.Security.Cryptography;
using System.Text;

namespace Cleanroom.Workspace;

/// <summary>git's id of a blob: SHA-1 of "blob {size}\0" and the content (what <c>git hash-object</c> prints).</summary>
public static class GitBlobId
{
    public static string Of(ReadOnlySpan<byte> content)
    {
        using var hash = Start(content.Length);
        hash.AppendData(content);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static async Task<string> OfStreamAsync(Stream content, long length, CancellationToken cancellationToken)
    {
        using var hash = Start(length);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        if (total != length)
            throw new IOException($"expected {length} bytes of content, got {total}");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The id of a host file's content, or of a link's target for a symbolic link.</summary>
    public static async Task<string> OfLocalPathAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target)
            return Of(Encoding.UTF8.GetBytes(target));
        await using var file = File.OpenRead(path);
        return await OfStreamAsync(file, file.Length, cancellationToken).ConfigureAwait(false);
    }

    private static IncrementalHash Start(long size)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return hash;
    }
}
