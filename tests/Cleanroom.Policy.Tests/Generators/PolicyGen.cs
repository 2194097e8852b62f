using System.Collections.Immutable;
using CsCheck;

namespace Cleanroom.Policy.Tests.Generators;

/// <summary>CsCheck generators for policy models and for changes that alter what a policy means.</summary>
public static class PolicyGen
{
    private static readonly Gen<int> Port = Gen.Frequency((3, Gen.OneOf(Gen.Const(443), Gen.Const(80), Gen.Const(22))), (2, Gen.Int[1, 65535]));

    private static readonly Gen<(string, int)> Pair =
        Gen.Select(Gen.Int[0, PolicyModel.Hosts.Length - 1], Port, (host, port) => (PolicyModel.Hosts[host].Canonical, port));

    private static readonly Gen<ImmutableSortedSet<(string Host, int Port)>> RuleSet =
        Pair.Array[0, 6].Select(pairs => pairs.ToImmutableSortedSet());

    private static readonly Gen<string> DigestHex = Gen.Char["0123456789abcdef"].Array[64].Select(chars => new string(chars));

    public static readonly Gen<PolicyModel> Model = Gen.Select(
        DigestHex,
        Gen.Bool,
        RuleSet.Array[4],
        Gen.Select(Gen.Bool, Gen.Int[1, 64], (has, value) => has ? value : (int?)null),
        Gen.Select(Gen.Bool, Gen.Long[1, 1 << 20], (has, value) => has ? value : (long?)null),
        Gen.Int,
        (digest, allStages, stages, vcpus, memory, secretSeed) => WithSecrets(new PolicyModel(digest, allStages, [.. stages], vcpus, memory), secretSeed));

    public enum Change { AddPort, RemoveRule, ChangeHost, ChangeDigest, MoveToOtherStage, ChangeResources, ChangeSecrets }

    /// <summary>Zero to three bindings, each to a random non-empty subset of the destinations the model allows by name.</summary>
    private static PolicyModel WithSecrets(PolicyModel model, int seed)
    {
        var random = new Random(seed);
        var destinations = model.SecretDestinations();
        if (destinations.Count == 0)
            return model;
        var secrets = model.Secrets;
        foreach (var id in PolicyModel.SecretIds.Where(_ => random.Next(3) == 0))
        {
            var hosts = destinations.Where(_ => random.Next(2) == 0).ToImmutableSortedSet();
            secrets = secrets.SetItem(id, hosts.Count > 0 ? hosts : [destinations.ElementAt(random.Next(destinations.Count))]);
        }

        return model with { Secrets = secrets };
    }

    /// <summary>Applies <paramref name="change"/> so that the policy's meaning is guaranteed to differ.</summary>
    public static PolicyModel Apply(PolicyModel model, Change change, int seed) => ApplyRaw(model, change, seed).WithValidSecrets();

    private static PolicyModel ApplyRaw(PolicyModel model, Change change, int seed)
    {
        var random = new Random(seed);
        var stage = model.AllStages ? 0 : random.Next(4);
        var rules = model.Stages[stage];
        PolicyModel WithStage(int index, ImmutableSortedSet<(string, int)> set) => model with { Stages = model.Stages.SetItem(index, set) };

        switch (change)
        {
            case Change.RemoveRule when rules.Count > 0:
                return WithStage(stage, rules.Remove(rules.ElementAt(random.Next(rules.Count))));
            case Change.ChangeHost when rules.Count > 0:
                var (host, port) = rules.ElementAt(random.Next(rules.Count));
                var other = PolicyModel.Hosts.Select(h => h.Canonical).FirstOrDefault(h => h != host && !rules.Contains((h, port)));
                return other is null ? ApplyRaw(model, Change.AddPort, seed) : WithStage(stage, rules.Remove((host, port)).Add((other, port)));
            case Change.RemoveRule or Change.ChangeHost or Change.AddPort:
                var newHost = PolicyModel.Hosts[random.Next(PolicyModel.Hosts.Length)].Canonical;
                var newPort = Enumerable.Range(0, 65535).Select(i => (random.Next(1, 65536) + i) % 65535 + 1).First(p => !rules.Contains((newHost, p)));
                return WithStage(stage, rules.Add((newHost, newPort)));
            case Change.ChangeDigest:
                var position = random.Next(64);
                var digit = "0123456789abcdef".Replace(model.DigestHex[position].ToString(), "")[random.Next(15)];
                return model with { DigestHex = model.DigestHex[..position] + digit + model.DigestHex[(position + 1)..] };
            case Change.MoveToOtherStage:
                // Spell an all-stage policy as four equal stage blocks (same meaning), then move one rule.
                var local = model with { AllStages = false, Stages = model.AllStages ? [.. Enumerable.Repeat(model.Stages[0], 4)] : model.Stages };
                var from = Enumerable.Range(0, 4).Select(i => (stage + i) % 4).FirstOrDefault(i => local.Stages[i].Count > 0, -1);
                if (from < 0)
                {
                    return ApplyRaw(model, Change.AddPort, seed);
                }

                var to = (from + 1 + random.Next(3)) % 4;
                var moved = local.Stages[from].ElementAt(random.Next(local.Stages[from].Count));
                return local with { Stages = local.Stages.SetItem(from, local.Stages[from].Remove(moved)).SetItem(to, local.Stages[to].Add(moved)) };
            case Change.ChangeSecrets when model.Secrets.Count > 0:
                var (secretId, secretHosts) = model.Secrets.ElementAt(random.Next(model.Secrets.Count));
                return secretHosts.Count > 1
                    ? model with { Secrets = model.Secrets.SetItem(secretId, secretHosts.Remove(secretHosts.ElementAt(random.Next(secretHosts.Count)))) }
                    : model with { Secrets = model.Secrets.Remove(secretId) };
            case Change.ChangeSecrets:
                var destinations = model.SecretDestinations();
                return destinations.Count == 0
                    ? ApplyRaw(model, Change.ChangeResources, seed)
                    : model with { Secrets = model.Secrets.Add(PolicyModel.SecretIds[random.Next(PolicyModel.SecretIds.Length)], [destinations.ElementAt(random.Next(destinations.Count))]) };
            case Change.ChangeResources:
                return random.Next(2) == 0
                    ? model with { Vcpus = (model.Vcpus ?? 0) + 1 }
                    : model with { MemoryMiB = (model.MemoryMiB ?? 0) + 1 };
            default:
                throw new ArgumentOutOfRangeException(nameof(change));
        }
    }
}
