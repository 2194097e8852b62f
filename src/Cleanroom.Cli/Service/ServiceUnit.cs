using System.Text;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli.Service;

/// <summary>
/// The systemd unit <c>cleanroom serve install</c> writes. The service's state and cache live under /var/lib and
/// /var/cache; its images, guest kernels and runtime config are the installer's (the same data and config
/// directories the CLI uses, so what setup imported is what the service runs); as root its socket is the system one,
/// /run/cleanroom/cleanroom.sock, which root's CLI finds by default.
/// </summary>
internal static class ServiceUnit
{
    public const string FileName = "cleanroom.service";

    public static string Render(string binaryPath, HostDirectories installer, IReadOnlyList<string> listen)
    {
        var exec = new StringBuilder(Quote(binaryPath)).Append(" serve");
        foreach (var address in listen)
            exec.Append(" --listen ").Append(Quote(address));
        return $"""
            [Unit]
            Description=Cleanroom sandbox server
            After=network-online.target
            Wants=network-online.target

            [Service]
            # serve says READY=1 (sd_notify) once its API answers: start and restart return only then. Start-up probes
            # the backends and re-adopts every READY sandbox, which can take a while on a busy host.
            Type=notify
            NotifyAccess=main
            TimeoutStartSec=300
            ExecStart={exec}
            Environment={Quote("XDG_STATE_HOME=/var/lib")} {Quote("XDG_CACHE_HOME=/var/cache")}
            Environment={Quote("XDG_DATA_HOME=" + BaseOf(installer.DataHome))} {Quote("XDG_CONFIG_HOME=" + BaseOf(installer.ConfigHome))}
            Restart=on-failure
            RestartSec=2
            # Every sandbox holds descriptors (its agent channel, network, gateway listener, forwarded ports).
            LimitNOFILE=1048576
            # Sandboxes (runsc, qemu) run in their own sessions and outlive the server by design: a stop or a restart
            # ends only the server, which re-adopts READY sandboxes when it starts again.
            KillMode=process
            # runsc makes cgroups for its containers below the service's own.
            Delegate=yes
            TimeoutStopSec=90

            [Install]
            WantedBy=multi-user.target

            """;
    }

    /// <summary>HostDirectories end in <c>/cleanroom</c>; the XDG variable names the directory above.</summary>
    private static string BaseOf(string directory) => Path.GetDirectoryName(directory.TrimEnd('/'))!;

    /// <summary>systemd's quoting: double quotes, with backslash and double quote escaped; % doubled (specifiers).</summary>
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%") + "\"";
}
