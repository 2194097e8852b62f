using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Cleanroom.Errors;

namespace Cleanroom.Network;

/// <summary>
/// Every host-side name belonging to one sandbox, derived from its id alone so that a restarted server
/// can find them again. Interface names are capped at 15 bytes, so links and nft objects use an 8-hex
/// key (SHA-256 of the id); the namespace carries the full id and the host link its id as ifalias.
/// </summary>
internal sealed partial record SandboxNames(string SandboxId, string Key, string Prefix, string Table)
{
    /// <summary>The sandbox end of the link, as the workload sees it.</summary>
    public const string SandboxLink = "eth0";

    public static SandboxNames For(string sandboxId, NetworkOptions options)
    {
        if (!SandboxIdPattern().IsMatch(sandboxId))
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"sandbox id \"{sandboxId}\" cannot name host network objects; use 1..64 lowercase letters, digits or '-'");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sandboxId));
        return new SandboxNames(sandboxId, Convert.ToHexStringLower(hash.AsSpan(0, 4)), options.NamePrefix, options.TableName);
    }

    public string Namespace => $"{Prefix}-{SandboxId}";

    public string NamespacePath => NetworkNamespacePaths.For(Namespace);

    public string HostLink => $"{Prefix}{Key}";

    public string ChainPrefix => $"sb_{Key}_";

    public string PreroutingChain => ChainPrefix + "prerouting";

    public string InputChain => ChainPrefix + "input";

    public string ForwardChain => ChainPrefix + "forward";

    public string DenyChain => ChainPrefix + "deny";

    public string AllowSet => ChainPrefix + "allow";

    public string SeenFlowSet => ChainPrefix + "seen";

    public string SeenOtherSet => ChainPrefix + "seen_other";

    /// <summary>NFLOG prefix; the trailing space keeps kernel log lines readable if someone switches to printk logging.</summary>
    public string LogPrefix => $"{Prefix}:{Key} ";

    /// <summary>The key of an nft object name made by this class, or null when it is not one.</summary>
    public static string? KeyOfObject(string objectName)
    {
        var match = ObjectNamePattern().Match(objectName);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>True when <paramref name="linkName"/> has the shape of a host link made with <paramref name="prefix"/>.</summary>
    public static bool IsHostLink(string linkName, string prefix) =>
        linkName.Length == prefix.Length + 8 && linkName.StartsWith(prefix, StringComparison.Ordinal)
        && linkName.AsSpan(prefix.Length).ContainsOnlyLowerHex();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex SandboxIdPattern();

    [GeneratedRegex("^sb_([0-9a-f]{8})_[a-z_]+$")]
    private static partial Regex ObjectNamePattern();
}

internal static class NetworkNamespacePaths
{
    /// <summary>Where <c>ip netns add</c> bind-mounts named namespaces; runsc enters them with nsenter --net=PATH.</summary>
    public const string Directory = "/var/run/netns";

    public static string For(string name) => $"{Directory}/{name}";

    public static bool ContainsOnlyLowerHex(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                return false;
        return true;
    }
}
