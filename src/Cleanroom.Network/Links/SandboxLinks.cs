namespace Cleanroom.Network;

/// <summary>
/// Makes and removes a sandbox's network namespace and its veth link to the host. The namespace is a
/// named one (<c>ip netns add</c>) so that it is a bind mount under /var/run/netns that runsc or QEMU can
/// be started in with <c>nsenter --net=PATH</c> or an OCI <c>network</c> namespace path.
/// </summary>
internal sealed class SandboxLinks(CommandRunner commands)
{
    public async Task CreateAsync(SandboxNames names, LinkAddresses link, CancellationToken cancellationToken)
    {
        await Ip(["netns", "add", names.Namespace], cancellationToken).ConfigureAwait(false);

        // IPv6 goes off before any interface exists in the namespace, so eth0 never gets even a
        // link-local address: the firewall only reasons about IPv4.
        await Run(["nsenter", $"--net={names.NamespacePath}", "sysctl", "-q", "-w",
            "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], null, cancellationToken).ConfigureAwait(false);

        // The host end carries the sandbox id as its alias: the only way back from a 15-byte name to the id.
        await Run(["ip", "-batch", "-"],
            $"link add {names.HostLink} type veth peer name {SandboxNames.SandboxLink} netns {names.Namespace}\n" +
            $"link set {names.HostLink} alias {names.SandboxId}\n", cancellationToken).ConfigureAwait(false);
        await Run(["sysctl", "-q", "-w", $"net.ipv6.conf.{names.HostLink}.disable_ipv6=1"], null, cancellationToken).ConfigureAwait(false);
        await Run(["ip", "-batch", "-"],
            $"addr add {link.HostAddress}/{LinkAddresses.PrefixLength} dev {names.HostLink}\n" +
            $"link set {names.HostLink} up\n", cancellationToken).ConfigureAwait(false);
        await Run(["ip", "-netns", names.Namespace, "-batch", "-"],
            "link set lo up\n" +
            $"addr add {link.SandboxAddress}/{LinkAddresses.PrefixLength} dev {SandboxNames.SandboxLink}\n" +
            $"link set {SandboxNames.SandboxLink} up\n" +
            $"route add default via {link.HostAddress} dev {SandboxNames.SandboxLink}\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the host link and the namespace; each may already be gone (a half-made sandbox, a second
    /// teardown). Returns the problems that remain, empty when both are gone.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveAsync(string? namespaceName, string? hostLink, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (hostLink is not null)
        {
            var result = await commands.RunAsync(["ip", "link", "del", hostLink], null, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded && !IsMissing(result))
                problems.Add($"ip link del {hostLink}: {CommandRunner.Tail(result.Stderr)}");
        }
        if (namespaceName is null)
            return problems;
        var netns = await commands.RunAsync(["ip", "netns", "del", namespaceName], null, cancellationToken).ConfigureAwait(false);
        if (!netns.Succeeded && !IsMissing(netns))
            problems.Add($"ip netns del {namespaceName}: {CommandRunner.Tail(netns.Stderr)}");
        return problems;
    }

    private static bool IsMissing(CommandResult result) =>
        result.Stderr.Contains("Cannot find device", StringComparison.Ordinal)
        || result.Stderr.Contains("No such file or directory", StringComparison.Ordinal)
        || result.Stderr.Contains("does not exist", StringComparison.Ordinal);

    private Task Ip(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        Run(["ip", .. arguments], null, cancellationToken);

    private async Task Run(IReadOnlyList<string> argv, string? stdin, CancellationToken cancellationToken) =>
        (await commands.RunAsync(argv, stdin, cancellationToken).ConfigureAwait(false)).EnsureSuccess();

}
