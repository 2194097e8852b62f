using System.Security.Cryptography;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Boot;

/// <summary>
/// The initramfs every VM boots: the staged agent (scripts/build-agent.sh: the NativeAOT binary plus the
/// loader and libraries it links) at /.cleanroom, the mount points init needs, and /dev/console.
/// <para>
/// How init is started, and why this way: <c>/init</c> is a link to the agent, and <c>/lib64/ld-linux-x86-64.so.2</c>
/// (the interpreter the binary names) a link to our loader, so the kernel can run the agent directly. The
/// loader finds our libc through <c>LD_LIBRARY_PATH</c>, and the agent gets <c>--init --serial …</c> as
/// arguments; both come from the kernel command line, where an unknown <c>NAME=value</c> becomes init's
/// environment and an unknown word one of its arguments. Starting the loader itself as init would need
/// <c>/.cleanroom/…</c> paths as arguments, and the kernel drops any word with a dot in it (it takes them for
/// module options); passing them after <c>--</c> does not work either, because QEMU's microvm appends its
/// virtio-mmio device list to the end of the command line. Once in the image's root, the agent re-runs itself
/// through the loader with <c>--library-path</c> (its usual form), so nothing depends on the image's /lib64.
/// </para>
/// Built once per agent build, cached by a hash of the agent's files as <c>&lt;cache&gt;/initramfs/&lt;hash&gt;.cpio</c>.
/// </summary>
internal sealed class AgentInitramfs
{
    public const string GuestDirectory = "/.cleanroom";
    private const string Binary = "cleanroom-agent";
    private const string Loader = "ld-linux-x86-64.so.2";
    // Bump when the archive's layout changes, so cached archives of the same agent are rebuilt.
    private const string LayoutVersion = "1";

    private readonly string _agentDirectory;
    private readonly string _cacheDirectory;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public AgentInitramfs(string agentDirectory, string cacheRoot)
    {
        _agentDirectory = Path.GetFullPath(agentDirectory);
        _cacheDirectory = Path.Combine(Path.GetFullPath(cacheRoot), "initramfs");
    }

    /// <summary>
    /// What goes on the kernel command line to start the agent as init: the loader's library path (becomes
    /// init's environment) and the agent's arguments (unknown words become init's argv). None contains a dot.
    /// </summary>
    public static IReadOnlyList<string> KernelParameters(string serialDevice, bool verbose = false) =>
        [$"LD_LIBRARY_PATH={GuestDirectory}/lib", "--init", "--serial", serialDevice, .. verbose ? new[] { "--verbose" } : []];

    /// <summary>Null when the agent is staged; otherwise what is missing and how to fix it.</summary>
    public string? Problem()
    {
        foreach (var file in new[] { Path.Combine(_agentDirectory, Binary), Path.Combine(_agentDirectory, "lib", Loader) })
        {
            if (!File.Exists(file))
                return $"the guest agent is not staged: {file} is missing; run scripts/build-agent.sh (or point the server at the directory it made)";
        }
        return null;
    }

    /// <summary>The archive's path, building it first when this agent has none yet.</summary>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (Problem() is { } problem)
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, problem);
        var files = AgentFiles();
        var path = Path.Combine(_cacheDirectory, Hash(files) + ".cpio");
        if (File.Exists(path))
            return path;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(path))
                Build(files, path);
            return path;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The agent's files by their path in the guest, in a stable order.</summary>
    private List<(string GuestPath, string HostPath)> AgentFiles()
    {
        var files = new List<(string, string)> { ($"{GuestDirectory[1..]}/{Binary}", Path.Combine(_agentDirectory, Binary)) };
        foreach (var library in Directory.GetFiles(Path.Combine(_agentDirectory, "lib")).Order(StringComparer.Ordinal))
            files.Add(($"{GuestDirectory[1..]}/lib/{Path.GetFileName(library)}", library));
        return files;
    }

    private static string Hash(List<(string GuestPath, string HostPath)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"layout {LayoutVersion}\n"));
        foreach (var (guestPath, hostPath) in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(guestPath + "\n"));
            hash.AppendData(SHA256.HashData(File.ReadAllBytes(hostPath)));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private void Build(List<(string GuestPath, string HostPath)> files, string path)
    {
        Directory.CreateDirectory(_cacheDirectory);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            // Not compressed: unpacking 5 MB of cpio is cheaper for an emulated guest than inflating 2.4 MB of gzip
            // first (about 60 ms per boot under TCG; kernel/README.md). The host's page cache holds it either way.
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                var cpio = new CpioWriter(file);
                foreach (var directory in new[] { "dev", "proc", "sys", "tmp", "newroot", "lib64", GuestDirectory[1..], $"{GuestDirectory[1..]}/lib" })
                    cpio.Directory(directory);
                cpio.Symlink("init", $"{GuestDirectory[1..]}/{Binary}");
                cpio.Symlink($"lib64/{Loader}", $"{GuestDirectory}/lib/{Loader}");
                // The kernel opens /dev/console for init's stdio before anything is mounted.
                cpio.CharacterDevice("dev/console", 0x180 /* 0600 */, 5, 1);
                foreach (var (guestPath, hostPath) in files)
                {
                    var executable = guestPath.EndsWith(Binary, StringComparison.Ordinal) || guestPath.EndsWith(Loader, StringComparison.Ordinal);
                    cpio.File(guestPath, File.ReadAllBytes(hostPath), executable ? 0x1edu /* 0755 */ : 0x1a4u /* 0644 */);
                }
                cpio.Finish();
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
