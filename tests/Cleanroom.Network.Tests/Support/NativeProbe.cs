using System.Security.Cryptography;
using System.Text;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The probe program published as NativeAOT, for sandboxes that have no .NET runtime: published once per
/// source state into <c>$XDG_CACHE_HOME/cleanroom-tests/probe-aot/&lt;hash&gt;/</c> (like the agent tests' AOT
/// agent), with its own artifacts directory so the publish never touches the probe's bin/obj that the test
/// build uses. Needs only the loader, libc and libm, the same ones the staged agent brings.
/// </summary>
internal static class NativeProbe
{
    public const string BinaryName = "Cleanroom.Network.Probe";

    private static readonly SemaphoreSlim PublishLock = new(1, 1);

    public static async Task<string> EnsurePublishedAsync()
    {
        var directory = Path.Combine(CacheRoot(), SourceHash());
        var binary = Path.Combine(directory, BinaryName);
        await PublishLock.WaitAsync();
        try
        {
            if (File.Exists(binary))
                return binary;
            var staging = $"{directory}.staging-{Environment.ProcessId}";
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            try
            {
                var output = Path.Combine(staging, "out");
                await HostShell.RunAsync(
                    ["dotnet", "publish", "tests/Cleanroom.Network.Probe/Cleanroom.Network.Probe.csproj", "-c", "Release", "-r", "linux-x64",
                     "-p:PublishAot=true", "--artifacts-path", Path.Combine(staging, "artifacts"), "-o", output, "--nologo", "-clp:ErrorsOnly"],
                    timeout: TimeSpan.FromMinutes(20), workingDirectory: RepositoryRoot.Path);
                var published = Directory.CreateDirectory(Path.Combine(staging, "probe")).FullName;
                File.Move(Path.Combine(output, BinaryName), Path.Combine(published, BinaryName));
                Directory.Move(published, directory);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
            RemoveOtherPublishes(directory);
            return binary;
        }
        finally
        {
            PublishLock.Release();
        }
    }

    /// <summary>
    /// The libraries the binary links (ldd), by file name: all of them must be among the staged agent's, since
    /// the probe is started through the agent's loader with the agent's library directory.
    /// </summary>
    public static async Task<IReadOnlyList<string>> LinkedLibrariesAsync(string binary)
    {
        var (_, stdout, _) = await HostShell.RunAsync(["ldd", binary]);
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso.so.1 (0x...)"
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => !name.StartsWith("linux-vdso", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .OfType<string>()
            .ToList();
    }

    /// <summary>Publishes of older sources are never used again (other processes' staging directories are left alone).</summary>
    private static void RemoveOtherPublishes(string current)
    {
        foreach (var stale in Directory.EnumerateDirectories(CacheRoot()).Where(d => d != current && !d.Contains(".staging-", StringComparison.Ordinal)))
            Directory.Delete(stale, recursive: true);
    }

    private static string CacheRoot()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "cleanroom-tests", "probe-aot");
    }

    /// <summary>A new publish whenever the probe's sources or the build settings change.</summary>
    private static string SourceHash()
    {
        var root = RepositoryRoot.Path;
        var files = Directory.EnumerateFiles(Path.Combine(root, "tests", "Cleanroom.Network.Probe"), "*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal)) && !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Append(Path.Combine(root, "Directory.Build.props"))
            .Append(Path.Combine(root, "Directory.Packages.props"))
            .Order(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file)));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
