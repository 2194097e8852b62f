using System.Text;

namespace Cleanroom.Agent.Files;

/// <summary>git's object id of a blob: SHA-1 of "blob {size}\0" followed by the content.</summary>
internal static class GitBlobId
{
    public static string OfFile(string path, long size)
    {
        var sha = Start(size);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            sha.Append(buffer.AsSpan(0, read));
            total += read;
        }
        // A file that changed size while being hashed would get a wrong id; say so instead.
        if (total != size)
            throw new IOException($"{path} changed while it was being read");
        return sha.FinishHex();
    }

    public static string OfBytes(ReadOnlySpan<byte> content)
    {
        var sha = Start(content.Length);
        sha.Append(content);
        return sha.FinishHex();
    }

    private static Sha1 Start(long size)
    {
        var sha = new Sha1();
        sha.Append(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return sha;
    }
}
