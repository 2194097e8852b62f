namespace Cleanroom.Server.Services;

/// <summary>Reads at most a limit of a stream into memory while still learning the stream's full size.</summary>
internal static class BoundedRead
{
    public static async Task<(byte[] Data, long TotalBytes)> ReadAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var room = (int)Math.Min(read, Math.Max(0, limit - kept.Length));
            kept.Write(buffer, 0, room);
            total += read;
        }

        return (kept.ToArray(), total);
    }
}
