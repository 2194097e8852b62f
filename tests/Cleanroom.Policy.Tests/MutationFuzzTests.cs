using Cleanroom.Policy.Tests.Generators;
using CsCheck;

namespace Cleanroom.Policy.Tests;

/// <summary>
/// Compile must never throw for any text: a broken policy is a list of errors for the user, never a crash
/// of the CLI or the server. Seeds are damaged corpus files and generated policies.
/// </summary>
public sealed class MutationFuzzTests
{
    private static readonly string[] Seeds = LoadSeeds();

    [Fact]
    public void Compile_returns_errors_instead_of_throwing_for_damaged_policies()
    {
        var gen = Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int)
            .Select((seed, mutation) => TextMutator.Mutate(Seeds[seed], mutation));

        gen.Sample(text =>
        {
            var result = PolicyCompiler.Compile(text, "mutated.yaml");

            Assert.Equal(result.Valid, result.Errors.Count == 0);
            Assert.Equal(result.Valid, result.Policy is not null);
            Assert.All(result.Errors, e =>
            {
                Assert.True(e.Line >= 1 && e.Column >= 1);
                Assert.DoesNotContain("internal error", e.Message);
            });
            if (result.Policy is not null)
            {
                Assert.Equal(result.Policy.PolicyHash, CompiledPolicy.FromCanonicalJson(result.Policy.CanonicalJson).PolicyHash);
            }
        }, iter: 10_000);
    }

    private static string[] LoadSeeds()
    {
        var corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus", "valid"), "*.yaml").Select(File.ReadAllText);
        var generated = Enumerable.Range(0, 20).Select(i => PolicyRenderer.Render(PolicyGen.Model.Single(), i));
        return [.. corpus, .. generated];
    }
}
