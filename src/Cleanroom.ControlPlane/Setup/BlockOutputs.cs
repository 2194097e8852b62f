using System.Collections.Immutable;
using System.Text;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// A block's declared outputs in the guest: where they are (<c>${HOME}</c> resolved in the guest), whether the block
/// wrote anything that lasts outside them, and the archive that captures or restores them. Archives are rooted at
/// <c>/</c>, entries named by the outputs' absolute paths without the leading slash.
/// </summary>
internal sealed class BlockOutputs
{
    /// <summary>Created just before the block runs; what is newer than it was written by the block (or during it).</summary>
    private const string Marker = "/tmp/.cleanroom-block-start";

    /// <summary>Places that do not last or are not files: writes there are not the block's result.</summary>
    private static readonly string[] Transient = ["/proc", "/sys", "/dev", "/tmp", "/run", "/var/tmp"];

    private BlockOutputs(ImmutableArray<string> paths) => Paths = paths;

    /// <summary>Absolute guest paths of the outputs, sorted.</summary>
    public ImmutableArray<string> Paths { get; }

    public static async Task<BlockOutputs> ResolveAsync(IProvisionedSandbox sandbox, WorkloadBlock block, CancellationToken cancellationToken)
    {
        var declared = block.OutputDirs.Concat(block.OutputFiles).ToList();
        string? home = null;
        if (declared.Any(p => p.StartsWith("${HOME}", StringComparison.Ordinal)))
        {
            var (exit, stdout) = await RunAsync(sandbox, ["/bin/sh", "-c", "printf %s \"$HOME\""], cancellationToken).ConfigureAwait(false);
            home = exit == 0 && stdout.StartsWith('/') ? stdout.TrimEnd('/') : throw new CleanroomException(ErrorCode.DependencyFailed,
                $"block '{block.Name}' declares outputs under ${{HOME}}, and the guest has no HOME");
        }
        return new BlockOutputs([.. declared.Select(p => p.StartsWith("${HOME}", StringComparison.Ordinal) ? home + p["${HOME}".Length..] : p).Order(StringComparer.Ordinal)]);
    }

    public async Task MarkStartAsync(IProvisionedSandbox sandbox, CancellationToken cancellationToken) =>
        await RunAsync(sandbox, ["/bin/sh", "-c", $": > {Marker}"], cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Why the outputs cannot stand for the block's whole effect, or null when they can: an output it did not make, or
    /// files (not directories: a new entry changes its parent's time) written since the start outside the outputs and
    /// the transient places. The names of up to five such files are given.
    /// </summary>
    public async Task<string?> WhyNotCacheableAsync(IProvisionedSandbox sandbox, CancellationToken cancellationToken)
    {
        var (_, missing) = await RunAsync(sandbox, ["/bin/sh", "-c", "for p; do [ -e \"$p\" ] || echo \"$p\"; done", "sh", .. Paths], cancellationToken).ConfigureAwait(false);
        if (missing.Length > 0)
            return $"it did not make its output(s) {string.Join(", ", missing.Split('\n', StringSplitOptions.RemoveEmptyEntries))}";

        List<string> find = ["find", "/", "("];
        foreach (var path in Transient.Concat(Paths))
        {
            if (find.Count > 3)
                find.Add("-o");
            find.AddRange(["-path", path]);
        }
        // The inode change time, not the modification time: files unpacked from an archive (the VM's own files written at
        // boot with the host's clock, a tarball's entries) carry whatever mtime the archive says; ctime is always now.
        find.AddRange([")", "-prune", "-o", "!", "-type", "d", "-cnewer", Marker, "-print"]);
        var (exit, written) = await RunAsync(sandbox, find, cancellationToken).ConfigureAwait(false);
        var files = written.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (exit != 0 && files.Length == 0)
            return "the guest could not be searched for what the block wrote (find failed)";
        return files.Length == 0 ? null : $"it wrote outside its declared outputs ({string.Join(", ", files.Take(5))}{(files.Length > 5 ? ", ..." : "")})";
    }

    /// <summary>The outputs as one archive (entries named from <c>/</c>).</summary>
    public Task<Stream> CaptureAsync(ISandboxFileTree tree, CancellationToken cancellationToken) =>
        tree.ReadArchiveAsync("/", [.. Paths.Select(p => p.TrimStart('/'))], cancellationToken);

    public static async Task RestoreAsync(ISandboxFileTree tree, string archive, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(archive);
        await tree.WriteArchiveAsync("/", source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a helper command (argv, no shell unless asked for) and returns its exit and stdout.</summary>
    private static async Task<(int Exit, string Stdout)> RunAsync(IProvisionedSandbox sandbox, IReadOnlyList<string> argv, CancellationToken cancellationToken)
    {
        var stdout = new MemoryStream();
        var exit = await SetupCommand.RunAsync(sandbox, new ExecutionSpec { Argv = [.. argv] }, chunk =>
        {
            // Only the first 64 KiB: enough for the few names reported, bounded whatever the guest prints.
            if (chunk.Stream == OutputStream.Stdout && stdout.Length < 65536)
                stdout.Write(chunk.Data.Span);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return (exit.ExitCode, Encoding.UTF8.GetString(stdout.ToArray()).TrimEnd('\n'));
    }
}
