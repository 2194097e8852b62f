using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A Go module proxy and a file server the test owns, in an <see cref="UpstreamNamespace"/> (busybox httpd, port 8080),
/// named <c>proxy.test</c> and <c>files.test</c> through <c>network.dns.hosts</c>:
/// <list type="bullet">
/// <item>a static GOPROXY tree at <see cref="ProxyBase"/> holding <see cref="Module"/> <see cref="Version"/> (list, info,
/// mod, zip, @latest) whose zip's <c>hello.go</c> declares <see cref="Greeting"/>;</item>
/// <item>the checksum database <see cref="SumDb"/> (<see cref="GoChecksumDatabase"/>) under the proxy's
/// <c>sumdb/sumdb.test/</c>, as a proxy that serves a checksum database has it;</item>
/// <item><c>files/tool.bin</c>: random bytes whose sha256 is <see cref="ToolSha256"/>, for the download route.</item>
/// </list>
/// </summary>
public sealed class GoModuleUpstream : IAsyncDisposable
{
    public const string Module = "demo.test/hello";
    public const string Version = "v1.0.0";
    public const string Greeting = "hello from the test's Go module proxy";
    public static readonly string ProxyBase = $"http://proxy.test:{UpstreamNamespace.Port}/";
    public static readonly string ToolPath = "/files/tool.bin";

    private GoModuleUpstream(UpstreamNamespace upstream, GoChecksumDatabase sumDb, string toolSha256)
    {
        Namespace = upstream;
        SumDb = sumDb;
        ToolSha256 = toolSha256;
    }

    public UpstreamNamespace Namespace { get; }

    public GoChecksumDatabase SumDb { get; }

    public string ToolSha256 { get; }

    public static async Task<GoModuleUpstream> StartAsync()
    {
        var sumDb = new GoChecksumDatabase("sumdb.test");
        var tool = RandomNumberGenerator.GetBytes(200_000);
        var upstream = await UpstreamNamespace.StartAsync(async content =>
        {
            var www = Directory.CreateDirectory(Path.Combine(content, "www")).FullName;
            var versions = Directory.CreateDirectory(Path.Combine(www, Module, "@v")).FullName;
            var goMod = Encoding.UTF8.GetBytes($"module {Module}\n\ngo 1.19\n");
            var zip = ModuleZip(goMod);
            await File.WriteAllTextAsync(Path.Combine(versions, "list"), $"{Version}\n");
            var info = $"{{\"Version\":\"{Version}\",\"Time\":\"2026-01-01T00:00:00Z\"}}";
            await File.WriteAllTextAsync(Path.Combine(versions, $"{Version}.info"), info);
            await File.WriteAllTextAsync(Path.Combine(www, Module, "@latest"), info);
            await File.WriteAllBytesAsync(Path.Combine(versions, $"{Version}.mod"), goMod);
            await File.WriteAllBytesAsync(Path.Combine(versions, $"{Version}.zip"), zip);
            sumDb.Add(Module, Version, zip, goMod);
            await sumDb.WriteAsync(Directory.CreateDirectory(Path.Combine(www, "sumdb", sumDb.Name)).FullName);
            await File.WriteAllBytesAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(www, "files")).FullName, "tool.bin"), tool);
            return ["-h", www];
        });
        return new GoModuleUpstream(upstream, sumDb, Convert.ToHexStringLower(SHA256.HashData(tool)));
    }

    /// <summary>The module zip as the proxy protocol has it: every file under <c>MODULE@VERSION/</c>.</summary>
    private static byte[] ModuleZip(byte[] goMod)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] content)
            {
                using var entry = zip.CreateEntry($"{Module}@{Version}/{name}").Open();
                entry.Write(content);
            }

            Add("go.mod", goMod);
            Add("hello.go", Encoding.UTF8.GetBytes($"package hello\n\nconst Greeting = \"{Greeting}\"\n"));
        }

        return buffer.ToArray();
    }

    public ValueTask DisposeAsync() => Namespace.DisposeAsync();
}
