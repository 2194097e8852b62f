using System.Text;

namespace Cleanroom.Policy.Tests.Generators;

/// <summary>
/// Writes a <see cref="PolicyModel"/> as YAML, choosing at random among spellings that mean the same:
/// entry order, shorthand or mapping, one host's ports split over several entries, duplicates, host case,
/// trailing dots, IDN or punycode, IPv6 forms, written-out defaults, and size units.
/// </summary>
public static class PolicyRenderer
{
    public static string Render(PolicyModel model, int seed)
    {
        var random = new Random(seed);
        var yaml = new StringBuilder();
        yaml.Append("version: 1\n");
        yaml.Append("sandbox:\n  image:\n    ref: ").Append(PolicyModel.BaseImage).Append("@sha256:").Append(model.DigestHex).Append('\n');

        var repositoryStage = new StringBuilder();
        var networkBody = new StringBuilder();
        if (random.Next(2) == 0)
        {
            networkBody.Append("    default: deny\n");
        }

        if (model.AllStages)
        {
            if (model.Stages[0].Count > 0 || random.Next(2) == 0)
            {
                networkBody.Append("    allow:\n").Append(AllowList(model.Stages[0], "      ", random));
            }
        }
        else
        {
            for (var stage = 1; stage < 4; stage++)
            {
                // An empty stage may be written as an empty block or left out: both mean no egress.
                if (model.Stages[stage].Count > 0 || random.Next(2) == 0)
                {
                    networkBody.Append("    ").Append(PolicyModel.StageNames[stage]).Append(":\n      allow:\n")
                        .Append(AllowList(model.Stages[stage], "        ", random));
                }
            }

            if (model.Stages[0].Count > 0 || random.Next(2) == 0)
            {
                repositoryStage.Append("  network:\n    allow:\n").Append(AllowList(model.Stages[0], "      ", random));
            }
        }

        if (networkBody.Length > 0)
        {
            yaml.Append("  network:\n").Append(networkBody);
        }

        if (model.Vcpus is not null || model.MemoryMiB is not null)
        {
            yaml.Append("  resources:\n");
            if (model.Vcpus is { } vcpus)
            {
                yaml.Append("    vcpus: ").Append(vcpus).Append('\n');
            }

            if (model.MemoryMiB is { } mib)
            {
                yaml.Append("    memory: ").Append(random.Next(3) switch
                {
                    0 => mib + "MiB",
                    1 => (mib * 1024 * 1024).ToString(),
                    _ => mib % 1024 == 0 ? mib / 1024 + "GiB" : mib * 1024 + "KiB",
                }).Append('\n');
            }
        }

        var writeRepositoryPath = random.Next(2) == 0;
        if (repositoryStage.Length > 0 || writeRepositoryPath)
        {
            yaml.Append("repository:\n");
            if (writeRepositoryPath)
            {
                yaml.Append(random.Next(2) == 0 ? "  path: /workspace\n" : "  path: /workspace/\n");
            }

            yaml.Append(repositoryStage);
        }

        yaml.Append(Secrets(model, random));
        return yaml.ToString();
    }

    /// <summary>Bindings in any order, hosts in any spelling and order (443 written or not, duplicates), defaults written or not.</summary>
    private static string Secrets(PolicyModel model, Random random)
    {
        if (model.Secrets.Count == 0)
            return random.Next(3) switch { 0 => "secrets: []\n", 1 => "secrets:\n", _ => "" };
        var text = new StringBuilder("secrets:\n");
        foreach (var (id, destinations) in model.Secrets.OrderBy(_ => random.Next()))
        {
            var hosts = destinations.Select(d =>
            {
                var spellings = PolicyModel.Hosts.Single(h => h.Canonical == d.Host).Spellings;
                var spelling = spellings[random.Next(spellings.Length)];
                return d.Port == 443 && random.Next(2) == 0 ? $"\"{spelling}\"" : $"\"{spelling}:{d.Port}\"";
            }).ToList();
            if (random.Next(4) == 0)
                hosts.Add(hosts[random.Next(hosts.Count)]); // a duplicate host changes nothing
            text.Append("  - id: ").Append(id).Append("\n    hosts: [").Append(string.Join(", ", hosts.OrderBy(_ => random.Next()))).Append("]\n");
            if (random.Next(2) == 0)
                text.Append("    header: Authorization\n");
            if (random.Next(2) == 0)
                text.Append("    format: \"Bearer {value}\"\n");
        }

        return text.ToString();
    }

    private static string AllowList(IEnumerable<(string Host, int Port)> pairs, string indent, Random random)
    {
        var entries = new List<string>();
        foreach (var group in pairs.GroupBy(p => p.Host))
        {
            var ports = group.Select(p => p.Port).OrderBy(_ => random.Next()).ToList();
            if (random.Next(4) == 0)
            {
                ports.Add(ports[random.Next(ports.Count)]); // a duplicate port changes nothing
            }

            var host = PolicyModel.Hosts.Single(h => h.Canonical == group.Key);
            while (ports.Count > 0)
            {
                var take = random.Next(1, ports.Count + 1);
                var chunk = ports.Take(take).ToList();
                ports.RemoveRange(0, take);
                entries.AddRange(Entries(host, chunk, indent, random));
            }
        }

        if (entries.Count > 0 && random.Next(4) == 0)
        {
            entries.Add(entries[random.Next(entries.Count)]); // so does a duplicate entry
        }

        // An empty list is written as "allow:" with no value, which YAML reads as null: no entries.
        return string.Concat(entries.OrderBy(_ => random.Next()));
    }

    private static IEnumerable<string> Entries(HostSpelling host, List<int> ports, string indent, Random random)
    {
        var spelling = host.Spellings[random.Next(host.Spellings.Length)];
        if (random.Next(2) == 0)
        {
            var shorthandHost = host.IsIPv6 ? "[" + spelling + "]" : spelling;
            return ports.Select(port => $"{indent}- \"{shorthandHost}:{port}\"\n");
        }

        var mappingHost = host.IsIPv6 && random.Next(2) == 0 ? "[" + spelling + "]" : spelling;
        return [$"{indent}- host: \"{mappingHost}\"\n{indent}  ports: [{string.Join(", ", ports)}]\n"];
    }
}
