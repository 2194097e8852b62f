using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent.Init;

/// <summary>
/// The agent's duties as the init of a microVM (<c>--init</c>): the kernel starts it from the initramfs
/// with nothing mounted, it brings up the file systems and the root disk, switches into the image's
/// root, and then serves the host like under any other backend. At the end it syncs and reboots, which
/// QEMU (started with <c>-no-reboot</c>) turns into its own exit. Settings come from the kernel command
/// line (see <see cref="KernelCommandLine"/> and the QEMU backend's README).
/// </summary>
internal static class GuestInit
{
    /// <summary>Printed on the console by a probe boot; the host looks for it before it trusts an accelerator.</summary>
    public const string ProbeMarker = "cleanroom-probe-ok";

    /// <summary>How long the agent's serial port may take to appear after boot.</summary>
    private static readonly TimeSpan PortDeadline = TimeSpan.FromSeconds(10);

    public static InitOutcome Boot(AgentOptions options)
    {
        RootSwitch.MountKernelFileSystems();
        var commandLine = KernelCommandLine.Read();
        EntropySeed.Apply(commandLine["seed"]);
        if (commandLine.Has("probe"))
        {
            // Written to the console as it is, not through AgentLog, so the marker is one recognisable line.
            FileDescriptors.WriteAll(FileDescriptors.Borrow(2), System.Text.Encoding.ASCII.GetBytes(ProbeMarker + "\n"));
            return InitOutcome.ProbeDone;
        }
        GuestNetwork.Configure(commandLine);
        if (commandLine["root"] is { Length: > 0 } device)
            RootSwitch.Enter(device, ParseBlocks(commandLine["resize"]));
        RootSwitch.MountRuntimeFileSystems();
        GuestNetwork.WriteResolvConf(commandLine);
        SetHostName(commandLine["hostname"] ?? "cleanroom");
        if (options.Transport == TransportKind.Serial)
            DeviceWait.UntilExists(options.Path!, PortDeadline);
        return InitOutcome.Serve;
    }

    /// <summary>
    /// How the exec helper re-runs this agent once the image is the root: through our own loader and
    /// libraries at /.cleanroom (bind-mounted there by <see cref="RootSwitch"/>), never the image's /lib64,
    /// which may hold another libc or none. The kernel started the agent directly as /init, so its command
    /// line says nothing useful about that.
    /// </summary>
    public static SelfCommand SelfCommandAfterSwitch()
    {
        var library = RootSwitch.AgentDirectory + "/lib";
        var loader = Directory.GetFiles(library, "ld-linux*").Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new IOException($"no dynamic loader in {library}");
        return new SelfCommand(loader, [loader, "--library-path", library, RootSwitch.AgentDirectory + "/cleanroom-agent"]);
    }

    /// <summary>Flushes the disk and ends the VM. Returns only if the reboot call itself failed.</summary>
    public static void PowerOff()
    {
        InitSyscalls.Sync();
        var error = InitSyscalls.Reboot();
        AgentLog.Error($"cannot end the VM: {error.Message}");
    }

    private static ulong? ParseBlocks(string? value) =>
        ulong.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var blocks) && blocks > 0 ? blocks : null;

    private static void SetHostName(string name)
    {
        try
        {
            InitSyscalls.SetHostName(name);
        }
        catch (UnixException e)
        {
            AgentLog.Error($"cannot set the host name: {e.Message}");
        }
    }
}

internal enum InitOutcome
{
    Serve,
    ProbeDone,
}
