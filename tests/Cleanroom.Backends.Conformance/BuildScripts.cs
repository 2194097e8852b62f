using System.Diagnostics;

namespace Cleanroom.Backends.Conformance;

/// <summary>Runs the repository's own build scripts, so tests use exactly what the product ships.</summary>
public static class BuildScripts
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>out/agent, staged by scripts/build-agent.sh (a no-op when up to date).</summary>
    public static async Task<string> StagedAgentAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(RepositoryPaths.Root, "out", "agent");
        await RunAsync(["bash", "scripts/build-agent.sh", directory], cancellationToken);
        return directory;
    }

    /// <summary>out/images/busybox.tar, built by scripts/build-images.sh when missing.</summary>
    public static async Task<string> BusyboxTarAsync(CancellationToken cancellationToken)
    {
        var tar = Path.Combine(RepositoryPaths.Root, "out", "images", "busybox.tar");
        if (!File.Exists(tar))
            await RunAsync(["bash", "scripts/build-images.sh", Path.GetDirectoryName(tar)!, "busybox"], cancellationToken);
        return tar;
    }

    /// <summary>out/images/debian.tar (the default image: mmdebstrap minbase bookworm), built by scripts/build-images.sh when missing.</summary>
    public static async Task<string> DebianTarAsync(CancellationToken cancellationToken)
    {
        var tar = Path.Combine(RepositoryPaths.Root, "out", "images", "debian.tar");
        if (!File.Exists(tar))
            await RunAsync(["bash", "scripts/build-images.sh", Path.GetDirectoryName(tar)!, "debian"], cancellationToken);
        return tar;
    }

    /// <summary>The guest kernel directory from scripts/build-kernel.sh (built on first use, minutes; cached after).</summary>
    public static async Task<string> GuestKernelDirectoryAsync(CancellationToken cancellationToken) =>
        (await RunAsync(["bash", "scripts/build-kernel.sh"], cancellationToken)).Trim().Split('\n')[^1];

    private static async Task<string> RunAsync(IReadOnlyList<string> argv, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            var info = new ProcessStartInfo(argv[0]) { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in argv.Skip(1))
                info.ArgumentList.Add(argument);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(30), cancellationToken);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{string.Join(' ', argv)} failed ({process.ExitCode}):\n{await stdout}{await stderr}");
            return await stdout;
        }
        finally
        {
            Gate.Release();
        }
    }
}
