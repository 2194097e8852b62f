using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Cleanroom.Images;

namespace Cleanroom.Registry.Bench;

/// <summary>
/// Where unpacking time goes, for an image already in a store: reading and hashing the blobs, then decompressing,
/// then reading the tar entries, each stage on top of the one before, then the store's real unpack.
/// </summary>
internal static class UnpackPhases
{
    public static async Task PrintAsync(ImageStore store, string reference, string blobDirectory)
    {
        var image = store.Resolve(reference);
        var paths = image.Layers.Select(layer => Path.Combine(blobDirectory, layer.Digest.Hex)).ToList();
        await PhaseAsync("read + sha256", paths, async (file) => await HashAsync(file));
        await PhaseAsync("read + sha256 + gunzip", paths, async (file) =>
        {
            await using var gzip = new GZipStream(new HashStream(file), CompressionMode.Decompress);
            await gzip.CopyToAsync(Stream.Null, 1 << 16);
        });
        await PhaseAsync("read + sha256 + gunzip + tar entries", paths, async (file) =>
        {
            await using var gzip = new GZipStream(new HashStream(file), CompressionMode.Decompress);
            await using var reader = new TarReader(gzip);
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                if (entry.DataStream is { } data)
                {
                    await data.CopyToAsync(Stream.Null, 1 << 16);
                }
            }
        });
        var naive = Directory.CreateTempSubdirectory("cleanroom-bench-naive-");
        try
        {
            await TimedAsync("store unpack (everything)", () => store.MaterialiseAsync(reference));
            var count = 0;
            await PhaseAsync("read + sha256 + gunzip + tar entries + write each file (no checks)", paths, async (file) =>
            {
                await using var gzip = new GZipStream(new HashStream(file), CompressionMode.Decompress);
                await using var reader = new TarReader(gzip);
                while (await reader.GetNextEntryAsync() is { } entry)
                {
                    if (entry.DataStream is { } data)
                    {
                        await using var output = new FileStream(Path.Combine(naive.FullName, (count++).ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
                        await data.CopyToAsync(output, 1 << 20);
                    }
                }
            });
        }
        finally
        {
            naive.Delete(recursive: true);
        }
    }

    private static async Task TimedAsync(string name, Func<Task> work)
    {
        var clock = Stopwatch.StartNew();
        var (user, system) = CpuTimes();
        await work();
        var (userAfter, systemAfter) = CpuTimes();
        Console.WriteLine($"  {name}: {clock.ElapsedMilliseconds} ms; cpu: user {(userAfter - user).TotalMilliseconds:0} ms, kernel {(systemAfter - system).TotalMilliseconds:0} ms");
    }

    private static async Task PhaseAsync(string name, IReadOnlyList<string> paths, Func<Stream, Task> work)
    {
        var clock = Stopwatch.StartNew();
        var (user, system) = CpuTimes();
        foreach (var path in paths)
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            await work(file);
        }

        var (userAfter, systemAfter) = CpuTimes();
        Console.WriteLine($"  {name}: {clock.ElapsedMilliseconds} ms; cpu: user {(userAfter - user).TotalMilliseconds:0} ms, kernel {(systemAfter - system).TotalMilliseconds:0} ms");
    }

    private static (TimeSpan User, TimeSpan System) CpuTimes()
    {
        using var self = Process.GetCurrentProcess();
        return (self.UserProcessorTime, self.PrivilegedProcessorTime);
    }

    private static async Task HashAsync(Stream file)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await file.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
    }

    private sealed class HashStream(Stream inner) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            hash.AppendData(buffer, offset, read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..read]);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
