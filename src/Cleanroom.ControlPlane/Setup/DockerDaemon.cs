using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// Docker inside a sandbox whose policy requires it (<c>docker.required</c>): the image is checked for dockerd and the
/// docker CLI before any block runs, so an image without them fails at once; dockerd is started after the dependency
/// blocks and before the services stage, detached from the command that started it (a server restart re-adopts the
/// sandbox with dockerd still running), with its API on <c>/var/run/docker.sock</c>. Both run as the image's own
/// <c>/bin/sh</c>. In a VM containers get the default bridge network, NATed to the guest's own address by dockerd's
/// iptables rules; under gVisor they share the sandbox's network (<c>--network=host</c>). Either way their traffic
/// leaves through the sandbox's one link and meets the same egress enforcement as everything else in it.
/// </summary>
internal static class DockerDaemon
{
    /// <summary>How long dockerd may take to listen: under emulation (TCG) its start alone takes several seconds.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(120);

    private const string SearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private const string CheckScript = """
        missing=
        for program in dockerd docker containerd runc iptables; do
          command -v "$program" >/dev/null 2>&1 || missing="$missing $program"
        done
        if [ -n "$missing" ]; then
          echo "the image has no$missing"
          exit 3
        fi
        """;

    // Two kernels, told apart by whether they offer cgroup2. A VM (qemu) runs our guest kernel: cgroup v2, and dockerd's
    // own bridge network with iptables NAT to the guest's address. gVisor offers only cgroup v1, lets overlay mounts
    // (dockerd's overlay2) have only tmpfs as their upper layer, and gives the sandbox the host's network stack of its
    // namespace (runsc --network=host): no bridges, no iptables, no ip_forward, so dockerd runs without them and
    // containers and builds use --network=host, i.e. the sandbox's own sockets.
    //
    // dockerd has no readiness signal a shell can wait on (its sd_notify needs a listener this image lacks), so its log
    // is read line by line on its way to the file, and the line saying its API listens is the event; a dockerd that
    // ends first says "exited" instead. The waiter holds the FIFO open from the start so neither word can be lost.
    private const string StartScript = """
        log=/var/log/cleanroom-dockerd.log
        ready=/run/cleanroom-dockerd.ready
        if grep -qw cgroup2 /proc/filesystems; then
          flags=
          if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
            mkdir -p /sys/fs/cgroup && mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || exit 4
          fi
        else
          flags="--iptables=false --ip6tables=false --bridge=none --ip-forward=false"
          if ! grep -q ' /sys/fs/cgroup/devices cgroup ' /proc/mounts; then
            mkdir -p /sys/fs/cgroup && mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup || exit 4
            # dockerd refuses to start without the devices controller; the others it uses when they are there.
            for controller in devices memory pids cpu cpuacct cpuset; do
              mkdir -p "/sys/fs/cgroup/$controller"
              mount -t cgroup -o "$controller" cgroup "/sys/fs/cgroup/$controller" 2>/dev/null || rmdir "/sys/fs/cgroup/$controller"
            done
            [ -d /sys/fs/cgroup/devices ] || { echo "this kernel has no devices cgroup for dockerd"; exit 4; }
          fi
          mkdir -p /var/lib/docker && mount -t tmpfs -o mode=0711 docker /var/lib/docker || exit 4
        fi
        mkdir -p /var/log /run
        rm -f "$ready" && mkfifo -m 0600 "$ready" || exit 4
        exec 3<>"$ready"
        setsid sh -c '
          dockerd --host=unix:///var/run/docker.sock $3 2>&1 </dev/null | {
            said=
            while IFS= read -r line; do
              printf "%s\n" "$line" >> "$1"
              case "$line" in *"API listen on"*) [ -n "$said" ] || { said=1; echo ready 1<>"$2"; } ;; esac
            done
            [ -n "$said" ] || echo exited 1<>"$2"
          }' dockerd "$log" "$ready" "$flags" </dev/null >/dev/null 2>&1 3>&- &
        state=$(timeout "$DEADLINE" sh -c 'read -r word <&3 && echo "$word"')
        exec 3>&-
        rm -f "$ready"
        if [ "$state" != ready ]; then
          echo "dockerd did not start (${state:-no answer in $DEADLINE s}); the end of its log:"
          tail -n 20 "$log" 2>/dev/null
          exit 5
        fi
        docker version --format 'docker {{.Client.Version}}, dockerd {{.Server.Version}}, storage driver' 2>&1 | tr -d '\n'
        docker info --format ' {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>&1
        """;

    /// <summary>Fails with <c>docker_unavailable</c> naming what the image lacks.</summary>
    public static async Task EnsureInImageAsync(IProvisionedSandbox sandbox, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync(sandbox, CheckScript, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new CleanroomException(ErrorCode.DockerUnavailable,
                $"the policy requires Docker but {(output.Length == 0 ? $"the image cannot run the check (exit {exit})" : output)}: use an image with dockerd, the docker CLI, containerd, runc and iptables");
        }
    }

    /// <summary>Starts dockerd and returns once its API answers, with what it reports (versions, storage driver).</summary>
    public static async Task<string> StartAsync(IProvisionedSandbox sandbox, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync(sandbox, StartScript, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
            throw new CleanroomException(ErrorCode.DockerUnavailable, $"dockerd did not come up in the sandbox (exit {exit}): {output}");
        return output;
    }

    private static async Task<(int Exit, string Output)> RunAsync(IProvisionedSandbox sandbox, string script, CancellationToken cancellationToken)
    {
        var spec = new ExecutionSpec
        {
            Argv = ["/bin/sh", "-c", script],
            Cwd = "/",
            Env = [new("PATH", SearchPath), new("DEADLINE", ((int)StartDeadline.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        };
        var tail = new CommandOutputTail();
        var exit = await SetupCommand.RunAsync(sandbox, spec, chunk =>
        {
            tail.Add(chunk);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return (exit.ExitCode, tail.ToString());
    }
}
