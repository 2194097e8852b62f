using Cleanroom.Policy.Tests.Generators;
using CsCheck;

namespace Cleanroom.Policy.Tests;

/// <summary>
/// The hash identifies meaning, not spelling: every rewrite the renderer can produce keeps it, and every
/// change of meaning moves it.
/// </summary>
public sealed class PolicyHashPropertyTests
{
    private const long Iterations = 500;

    [Fact]
    public void Equivalent_spellings_of_a_policy_have_the_same_hash() =>
        Gen.Select(PolicyGen.Model, Gen.Int, Gen.Int).Sample((model, seedA, seedB) =>
        {
            var a = CompileValid(PolicyRenderer.Render(model, seedA));
            var b = CompileValid(PolicyRenderer.Render(model, seedB));
            Assert.Equal(a.PolicyHash, b.PolicyHash);
            Assert.Equal(a.CanonicalJson, b.CanonicalJson);
        }, iter: Iterations, print: t => PolicyRenderer.Render(t.Item1, t.Item2) + "\n----\n" + PolicyRenderer.Render(t.Item1, t.Item3));

    [Fact]
    public void Compiled_stages_hold_exactly_the_rules_the_policy_means() =>
        Gen.Select(PolicyGen.Model, Gen.Int).Sample((model, seed) =>
        {
            var policy = CompileValid(PolicyRenderer.Render(model, seed));
            for (var stage = 0; stage < 4; stage++)
            {
                var compiled = policy.Network[PolicyModel.StageNames[stage]];
                Assert.Equal(
                    model.Effective(stage).Select(p => $"{p.Host}:{p.Port}").Order(StringComparer.Ordinal),
                    compiled.SelectMany(r => r.Ports.Select(p => $"{r.Host}:{p}")).Order(StringComparer.Ordinal));
                Assert.Equal(compiled.Select(r => r.Host).Order(StringComparer.Ordinal), compiled.Select(r => r.Host));
                Assert.All(compiled, r => Assert.Equal(r.Ports.Distinct().Order(), r.Ports));
            }

            Assert.Equal(model.Vcpus, policy.Resources.Vcpus);
            Assert.Equal(model.MemoryMiB * 1024 * 1024, policy.Resources.MemoryBytes);
            Assert.Equal(
                model.Secrets.Select(s => $"{s.Key}=" + string.Join(",", s.Value.Select(d => $"{d.Host}:{d.Port}").Order(StringComparer.Ordinal))),
                policy.Secrets.Select(s => $"{s.Id}=" + string.Join(",", s.Hosts)));
        }, iter: Iterations, print: t => PolicyRenderer.Render(t.Item1, t.Item2));

    [Fact]
    public void The_generated_policies_bind_secrets_often_enough_to_test_them()
    {
        var models = Enumerable.Range(0, 200).Select(_ => PolicyGen.Model.Single()).ToList();

        Assert.InRange(models.Count(m => m.Secrets.Count > 0), 60, 200);
    }

    [Fact]
    public void A_change_of_meaning_changes_the_hash() =>
        Gen.Select(PolicyGen.Model, Gen.Enum<PolicyGen.Change>(), Gen.Int, Gen.Int).Sample((model, change, seed, renderSeed) =>
        {
            var changed = PolicyGen.Apply(model, change, seed);
            var before = CompileValid(PolicyRenderer.Render(model, renderSeed));
            var after = CompileValid(PolicyRenderer.Render(changed, renderSeed + 1));
            Assert.NotEqual(before.PolicyHash, after.PolicyHash);
        }, iter: Iterations, print: t => $"{t.Item2}\n{PolicyRenderer.Render(t.Item1, t.Item4)}\n----\n{PolicyRenderer.Render(PolicyGen.Apply(t.Item1, t.Item2, t.Item3), t.Item4 + 1)}");

    [Fact]
    public void Canonical_json_round_trips_through_FromCanonicalJson() =>
        Gen.Select(PolicyGen.Model, Gen.Int).Sample((model, seed) =>
        {
            var policy = CompileValid(PolicyRenderer.Render(model, seed));
            var restored = CompiledPolicy.FromCanonicalJson(policy.CanonicalJson);
            Assert.Equal(policy.PolicyHash, restored.PolicyHash);
            Assert.Equal(policy, restored);
        }, iter: Iterations, print: t => PolicyRenderer.Render(t.Item1, t.Item2));

    private static CompiledPolicy CompileValid(string yaml)
    {
        var result = PolicyCompiler.Compile(yaml, "generated.yaml");
        Assert.True(result.Valid, string.Join("\n", result.Errors) + "\n" + yaml);
        return result.Policy!;
    }
}
