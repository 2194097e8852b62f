using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Cleanroom.Agent.Tests.Support;

/// <summary>
/// The NativeAOT agent, published once per source state into a cache folder outside the repository,
/// and the sandbox-style layout it runs in: the host's loader and libraries in lib/, the binary in agent/,
/// started as `lib/ld-linux-x86-64.so.2 --library-path lib agent/cleanroom-agent --stdio`.
/// </summary>
internal static partial class NativeAgent
{
    public const string HostLoader = "/lib64/ld-linux-x86-64.so.2";

    private static readonly SemaphoreSlim PublishLock = new(1, 1);

    /// <summary>The publish command (also in src/Cleanroom.Agent/README.md), run from the repository root.</summary>
    public static IReadOnlyList<string> PublishArguments(string outputDirectory) =>
        ["publish", "src/Cleanroom.Agent/Cleanroom.Agent.csproj", "-c", "Release", "-r", "linux-x64", "-o", outputDirectory];

    public static async Task<string> EnsurePublishedAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(CacheRoot(), SourceHash());
        var binary = Path.Combine(directory, "cleanroom-agent");
        await PublishLock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(binary))
                return binary;
            var staging = directory + ".staging-" + Environment.ProcessId;
            var (exitCode, output) = await RunAsync("dotnet", PublishArguments(staging), AgentPaths.RepositoryRoot, TimeSpan.FromMinutes(20), cancellationToken);
            if (exitCode != 0)
                throw new InvalidOperationException($"dotnet publish failed ({exitCode}):\n{output}");
            Directory.Move(staging, directory);
            RemoveOtherPublishes(directory);
            return binary;
        }
        finally
        {
            PublishLock.Release();
        }
    }

    /// <summary>Publishes of older sources are never used again.</summary>
    private static void RemoveOtherPublishes(string current)
    {
        foreach (var stale in Directory.EnumerateDirectories(CacheRoot()).Where(d => d != current))
            Directory.Delete(stale, recursive: true);
    }

    /// <summary>The shared libraries the dynamic linker loads for the binary (ldd), the loader included.</summary>
    public static async Task<IReadOnlyList<string>> RequiredLibrariesAsync(string binary, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync("ldd", [binary], "/", TimeSpan.FromMinutes(1), cancellationToken);
        if (exitCode != 0)
            throw new InvalidOperationException($"ldd {binary} failed: {output}");
        return output.Split('\n')
            .Select(line => LddPath().Match(line))
            .Where(match => match.Success)
            .Select(match => match.Groups["path"].Value)
            .Distinct()
            .ToList();
    }

    /// <summary>Copies binary, loader and libraries into <paramref name="root"/> as the host will copy them into a sandbox.</summary>
    public static async Task<(string Loader, string LibraryDirectory, string Agent)> StageAsync(string binary, string root, CancellationToken cancellationToken)
    {
        var lib = Directory.CreateDirectory(Path.Combine(root, "lib")).FullName;
        var agentDirectory = Directory.CreateDirectory(Path.Combine(root, "agent")).FullName;
        foreach (var library in await RequiredLibrariesAsync(binary, cancellationToken))
            File.Copy(library, Path.Combine(lib, Path.GetFileName(library)), overwrite: true);
        var agent = Path.Combine(agentDirectory, "cleanroom-agent");
        File.Copy(binary, agent, overwrite: true);
        File.SetUnixFileMode(agent, File.GetUnixFileMode(binary));
        var loader = Path.Combine(lib, Path.GetFileName(HostLoader));
        File.SetUnixFileMode(loader, File.GetUnixFileMode(loader) | UnixFileMode.UserExecute);
        return (loader, lib, agent);
    }

    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    [GeneratedRegex(@"(?:=>\s*)?(?<path>/\S+)\s+\(0x[0-9a-f]+\)")]
    private static partial Regex LddPath();

    private static string CacheRoot()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "cleanroom-tests", "agent-aot");
    }

    /// <summary>A new publish whenever the agent's sources or build settings change.</summary>
    private static string SourceHash()
    {
        var root = AgentPaths.RepositoryRoot;
        var files = new[] { "src/Cleanroom.Agent", "src/Cleanroom.Agent.Protocol" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(root, dir), "*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs") || f.EndsWith(".csproj")) && !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Append(Path.Combine(root, "Directory.Build.props"))
            .Order(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file)));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
