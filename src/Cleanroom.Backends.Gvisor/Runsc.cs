using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>A container as <c>runsc list</c> reports it.</summary>
internal sealed record RunscContainer(string Id, string Status, int Pid);

/// <summary>
/// The runsc command line: global flags in one place, and the housekeeping subcommands (list, kill,
/// delete, version) run through <see cref="ProcessRunner"/>. <c>runsc run --detach</c> (<see cref="RunArgv"/>)
/// is started by <see cref="SandboxLauncher"/> as a detached program.
/// </summary>
internal sealed class Runsc(string binary, string root, ProcessRunner runner, TimeSpan commandTimeout)
{
    public string Binary => binary;

    public string Root => root;

    /// <summary>
    /// <c>runsc run --detach</c>: it returns once the container runs, and the sandbox then belongs to nobody's
    /// pipes (<see cref="Cleanroom.HostProcesses.DetachedProgram"/> starts it): the agent listens on a socket
    /// in the sandbox's channel directory, which <c>--host-uds=create</c> makes a real socket on the host, so a
    /// restarted server reconnects. (<c>create</c> lets the sandbox make sockets the host can connect to; it
    /// does not let it connect to the host's.) Without a network namespace the sandbox has no network at all
    /// (<c>--network=none</c>). With one, runsc is started inside it by nsenter and uses it as its host network
    /// (<c>--network=host</c>): the namespace holds only the sandbox's link, filtered on the host side. (This
    /// runsc's own netstack refuses to start on this kernel, and <c>ip netns exec</c> remounts /sys and breaks
    /// runsc's cgroups: platform.md.) The writable layer is runsc's own overlay, backed by a file in
    /// <paramref name="filestoreDirectory"/> (<c>root:dir=DIR</c>).
    /// </summary>
    public IReadOnlyList<string> RunArgv(
        string platform, string bundle, string containerId, string logPath, string filestoreDirectory, string? networkNamespace = null, bool sandboxStack = false) =>
        [.. LaunchPrefix(platform, logPath, filestoreDirectory, networkNamespace, sandboxStack), "run", "--detach", "--bundle", bundle, containerId];

    /// <summary>
    /// <c>runsc restore --detach</c> of a checkpoint (<see cref="CheckpointAsync"/>) with the flags the sandbox was
    /// started with: the restored container is the same sandbox, and like <c>run</c> it belongs to nobody's pipes.
    /// </summary>
    public IReadOnlyList<string> RestoreArgv(
        string platform, string bundle, string containerId, string logPath, string filestoreDirectory, string imagePath, string? networkNamespace, bool sandboxStack) =>
        [.. LaunchPrefix(platform, logPath, filestoreDirectory, networkNamespace, sandboxStack), "restore", "--detach", "--image-path", imagePath, "--bundle", bundle, containerId];

    /// <summary>
    /// Everything before the verb. With <paramref name="sandboxStack"/> the sandbox uses gVisor's own netstack on the
    /// namespace's link (<c>--network=sandbox</c>; <c>--net-disconnect-ok</c> lets a checkpoint drop open connections
    /// instead of failing). This runsc decides "is this the root network namespace" by whether
    /// /proc/sys/net/core/rmem_default exists, which on this kernel it does in every namespace; so runsc is started in a
    /// mount namespace of its own (a slave of the host's: the host's later unmounts still reach it) where a small
    /// read-only tmpfs covers /proc/sys/net. The namespace is the sandbox's own, never the host's: the nsenter says so.
    /// </summary>
    private IReadOnlyList<string> LaunchPrefix(string platform, string logPath, string filestoreDirectory, string? networkNamespace, bool sandboxStack)
    {
        string[] prefix = (networkNamespace, sandboxStack) switch
        {
            (null, _) => [],
            (_, false) => ["nsenter", $"--net={networkNamespace}", "--"],
            (_, true) =>
            [
                "unshare", "--mount", "--propagation", "slave", "--",
                "sh", "-c", "mount -t tmpfs -o ro,size=4k,mode=0555 cleanroom-netmask /proc/sys/net && exec \"$@\"", "cleanroom-runsc",
                "nsenter", $"--net={networkNamespace}", "--",
            ],
        };
        string[] network = (networkNamespace, sandboxStack) switch
        {
            (null, _) => ["--network=none"],
            (_, false) => ["--network=host"],
            (_, true) => ["--network=sandbox", "--net-disconnect-ok"],
        };
        return
        [
            .. prefix,
            binary, $"--root={root}", $"--platform={platform}", .. network, $"--overlay2=root:dir={filestoreDirectory}",
            "--host-uds=create", $"--log={logPath}",
        ];
    }

    /// <summary>
    /// <c>runsc checkpoint</c>: writes the container's whole state (memory, processes, its overlay's files) under
    /// <paramref name="imagePath"/> and stops it. A failure leaves the container running; the error carries runsc's reason.
    /// </summary>
    public async Task CheckpointAsync(string containerId, string imagePath, string logPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync([binary, $"--root={root}", $"--log={logPath}", "checkpoint", "--image-path", imagePath, containerId], timeout, cancellationToken)
            .ConfigureAwait(false);
        result.EnsureSuccess();
    }

    /// <summary>Sends <paramref name="signal"/> (a number) to the container's PID 1, the agent.</summary>
    public async Task SignalInitAsync(string containerId, int signal, CancellationToken cancellationToken) =>
        (await RunAsync(["kill", containerId, signal.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false)).EnsureSuccess();

    /// <summary>Every container under our root (ours or not: callers filter by name).</summary>
    public async Task<IReadOnlyList<RunscContainer>> ListAsync(CancellationToken cancellationToken)
    {
        var result = (await RunAsync(["list", "--format=json"], cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var containers = new List<RunscContainer>();
        try
        {
            using var document = JsonDocument.Parse(result.Stdout.Length == 0 ? "null" : result.Stdout);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                return containers; // runsc prints null for an empty or missing root
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var id = item.TryGetProperty("id", out var idProperty) ? idProperty.GetString() : null;
                if (string.IsNullOrEmpty(id))
                    continue;
                var status = item.TryGetProperty("status", out var statusProperty) ? statusProperty.GetString() ?? "" : "";
                var pid = item.TryGetProperty("pid", out var pidProperty) && pidProperty.TryGetInt32(out var n) ? n : 0;
                containers.Add(new RunscContainer(id, status, pid));
            }
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"runsc list printed something that is not JSON: {ProcessRunner.Tail(result.Stdout)}", e);
        }
        return containers;
    }

    /// <summary>SIGKILLs everything in the container. A container that is already gone is not an error.</summary>
    public Task KillAsync(string containerId, CancellationToken cancellationToken) =>
        RunAsync(["kill", "--all", containerId, "KILL"], cancellationToken);

    /// <summary>
    /// Stops (if running) and deletes the container: its processes, its state under the root and its
    /// cgroup. Succeeds for a container that does not exist, so it is safe to repeat.
    /// </summary>
    public async Task DeleteAsync(string containerId, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["delete", "--force", containerId], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && !result.Stderr.Contains("does not exist", StringComparison.Ordinal))
            result.EnsureSuccess();
    }

    /// <summary>The first line of <c>runsc --version</c>, e.g. <c>runsc version 0.0~20221219.0</c>.</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var result = (await runner.RunAsync([binary, "--version"], commandTimeout, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "runsc (no version printed)";
    }

    private Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        runner.RunAsync([binary, $"--root={root}", .. arguments], commandTimeout, cancellationToken);
}
