namespace Cleanroom.Network.Tests;

/// <summary>
/// A fact that needs root and the real ip, nft and nsenter tools. Without them it is skipped with the
/// reason, which the runner prints; CI runs as root with the tools installed, so there nothing skips.
/// A test class that runs the cases through a backend also names that backend's needs with
/// <see cref="Cleanroom.Backends.Conformance.BackendRequirementsAttribute"/>; the conformance discoverer reads it
/// from the concrete class (a shared case cannot know which backend's class it runs in) and skips with its reason.
/// </summary>
[Xunit.Sdk.XunitTestCaseDiscoverer("Cleanroom.Backends.Conformance.BackendFactDiscoverer", "Cleanroom.Backends.Conformance")]
public sealed class NetworkFactAttribute : FactAttribute
{
    public NetworkFactAttribute()
    {
        if (HostRequirements.Missing() is { } reason)
            Skip = reason;
    }
}

internal static class HostRequirements
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        if (Environment.UserName != "root")
            return "needs root (network namespaces and nftables)";
        foreach (var tool in new[] { "/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/nsenter", "/usr/sbin/sysctl" })
            if (!File.Exists(tool))
                return $"needs {tool} (apt-get install nftables iproute2 util-linux procps)";
        return null;
    });

    public static string? Missing() => Reason.Value;
}
