using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

/// <summary>
/// Runs every file under Corpus/. Invalid files declare, in leading comments, the error they must produce:
/// <c># expect: &lt;code&gt; &lt;path or &lt;root&gt;&gt;</c> and optionally <c># message: &lt;substring&gt;</c>.
/// Valid files may declare <c># same-as: other.yaml</c> or <c># differs-from: other.yaml</c> to pin hashes.
/// </summary>
public sealed class CorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Corpus");

    public static TheoryData<string> ValidFiles() => Files("valid");

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Valid_policy_compiles_without_errors(string name)
    {
        var result = Compile("valid", name);

        Assert.True(result.Valid, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        Assert.NotNull(result.Policy);
        Assert.Matches("^sha256:[0-9a-f]{64}$", result.Policy.PolicyHash);
        Assert.Equal(result.Policy.PolicyHash, CompiledPolicy.FromCanonicalJson(result.Policy.CanonicalJson).PolicyHash);

        foreach (var other in Header(name, "valid", "same-as"))
        {
            Assert.Equal(Compile("valid", other).Policy!.PolicyHash, result.Policy.PolicyHash);
        }

        foreach (var other in Header(name, "valid", "differs-from"))
        {
            Assert.NotEqual(Compile("valid", other).Policy!.PolicyHash, result.Policy.PolicyHash);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Invalid_policy_reports_the_expected_error(string name)
    {
        var expect = Header(name, "invalid", "expect").Single().Split(' ', 2);
        var (code, path) = (expect[0], expect[1] == "<root>" ? "" : expect[1]);
        var message = Header(name, "invalid", "message").SingleOrDefault();

        var result = Compile("invalid", name);

        Assert.False(result.Valid);
        Assert.Null(result.Policy);
        Assert.All(result.Errors, e =>
        {
            Assert.Contains(e.Code, new[] { ErrorCode.PolicyInvalid, ErrorCode.PolicyConflict });
            Assert.True(e.Line >= 1 && e.Column >= 1, $"position {e.Line}:{e.Column}");
            Assert.DoesNotContain("internal error", e.Message);
        });
        Assert.True(
            result.Errors.Any(e => e.Code == code && e.Path == path && (message is null || e.Message.Contains(message, StringComparison.Ordinal))),
            $"expected {code} at '{path}' containing '{message}', got:\n{string.Join("\n", result.Errors)}");
    }

    [Fact]
    public void Corpus_has_at_least_sixty_cases_and_fifty_rejections()
    {
        Assert.True(Names("invalid").Length >= 50);
        Assert.True(Names("valid").Length + Names("invalid").Length >= 60);
    }

    [Fact]
    public void Every_rejection_in_the_corpus_has_its_own_message_check()
    {
        var unchecked_ = Names("invalid").Where(name => !Header(name, "invalid", "message").Any());
        Assert.Empty(unchecked_);
    }

    private static PolicyResult Compile(string kind, string name) =>
        PolicyCompiler.Compile(File.ReadAllText(Path.Combine(CorpusDirectory, kind, name)), name);

    private static IEnumerable<string> Header(string name, string kind, string key) =>
        File.ReadLines(Path.Combine(CorpusDirectory, kind, name))
            .TakeWhile(line => line.StartsWith('#'))
            .Where(line => line.StartsWith($"# {key}: ", StringComparison.Ordinal))
            .Select(line => line[$"# {key}: ".Length..].Trim())
            .ToArray();

    private static TheoryData<string> Files(string kind) => new(Names(kind));

    private static string[] Names(string kind) =>
        Directory.GetFiles(Path.Combine(CorpusDirectory, kind), "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
