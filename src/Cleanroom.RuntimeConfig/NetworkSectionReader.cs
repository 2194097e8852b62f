using System.Collections.Immutable;
using System.Net;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>network:</c> — <c>pool</c>, <c>dns.upstream</c>, <c>dns.hosts</c> — checking each value's shape.</summary>
internal static class NetworkSectionReader
{
    public static NetworkSettings? Read(YamlNode section, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        var settings = NetworkSettings.Defaults;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(section, "network", problems))
        {
            switch (key)
            {
                case "pool":
                    settings = settings with { Pool = RuntimeConfigReader.ValidScalar(value, "network.pool", IsCidr, "must be an IPv4 CIDR such as 10.213.0.0/16", problems) };
                    break;
                case "dns":
                    foreach (var (dnsKey, dnsKeyNode, dnsValue) in RuntimeConfigReader.MappingEntries(value, "network.dns", problems))
                    {
                        if (dnsKey == "upstream")
                        {
                            settings = settings with { DnsUpstream = RuntimeConfigReader.ValidScalar(dnsValue, "network.dns.upstream", IsEndpoint, "must be an IPv4 address, optionally with :port", problems) };
                        }
                        else if (dnsKey == "hosts")
                        {
                            settings = settings with { DnsHosts = ReadHosts(dnsValue, problems) };
                        }
                        else
                        {
                            problems.Add(RuntimeConfigReader.At(dnsKeyNode, $"network.dns.{dnsKey}", $"unknown setting '{dnsKey}'; known settings are upstream, hosts"));
                        }
                    }

                    break;
                case "table":
                    settings = settings with { Table = RuntimeConfigReader.ValidScalar(value, "network.table", IsName, "must be a short lowercase name such as cleanroom", problems) };
                    break;
                case "name_prefix":
                    settings = settings with { NamePrefix = RuntimeConfigReader.ValidScalar(value, "network.name_prefix", text => IsName(text) && text.Length <= 7, "must be 1 to 7 lowercase letters or digits", problems) };
                    break;
                case "nflog_group":
                    var group = RuntimeConfigReader.ValidScalar(value, "network.nflog_group", text => ushort.TryParse(text, out var n) && n > 0, "must be a number from 1 to 65535", problems);
                    settings = settings with { NflogGroup = group is null ? null : int.Parse(group) };
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, $"network.{key}", $"unknown setting '{key}'; known settings are pool, dns, table, name_prefix, nflog_group"));
                    break;
            }
        }

        return problems.Count == before ? settings : null;
    }

    private static ImmutableSortedDictionary<string, string> ReadHosts(YamlNode value, List<ConfigProblem> problems)
    {
        var hosts = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, _, address) in RuntimeConfigReader.MappingEntries(value, "network.dns.hosts", problems))
        {
            if (RuntimeConfigReader.ValidScalar(address, $"network.dns.hosts.{name}", text => IPAddress.TryParse(text, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork,
                    "must be an IPv4 address", problems) is { } ip)
            {
                hosts[name.TrimEnd('.').ToLowerInvariant()] = ip;
            }
        }

        return hosts.ToImmutable();
    }

    private static bool IsCidr(string text) =>
        text.Split('/') is [var address, var bits] && IPAddress.TryParse(address, out var ip)
        && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && int.TryParse(bits, out var n) && n is >= 8 and <= 28;

    private static bool IsName(string text) => text.Length is > 0 and <= 32 && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    private static bool IsEndpoint(string text) => IPEndPoint.TryParse(text, out var endpoint)
        && endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
}
