using System.Text.Json;

namespace Cleanroom.Cli.Tests;

public sealed class PolicyCommandTests : IDisposable
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly Dictionary<string, string> NoEnv = new() { ["HOME"] = "/nonexistent" };
    private readonly TempDirectory _repo = new();

    public PolicyCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Path, ".git"));
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Validate_json_reports_a_valid_policy_with_its_hash_and_compiled_form()
    {
        _repo.Write("cleanroom.yaml", $"""
            version: 1
            sandbox:
              image:
                ref: ghcr.io/example/base@{Digest}
              network:
                allow:
                  - Example.COM.:443
            """);

        var run = await CliRun.InvokeAsync(_repo.Path, NoEnv, "policy", "validate", "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(Path.Combine(_repo.Path, "cleanroom.yaml"), root.GetProperty("path").GetString());
        Assert.Matches("^sha256:[0-9a-f]{64}$", root.GetProperty("policy_hash").GetString());
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        Assert.Contains("example.com", root.GetProperty("policy").GetRawText());
    }

    [Fact]
    public async Task Validate_json_reports_each_problem_with_code_path_and_position_and_exits_1()
    {
        _repo.Write("cleanroom.yaml", $"""
            version: 1
            sandbox:
              image:
                ref: ghcr.io/example/base@{Digest}
              network:
                allow:
                  - host: example.com
                    ports: [70000]
            """);

        var run = await CliRun.InvokeAsync(_repo.Path, NoEnv, "policy", "validate", "--json");

        Assert.Equal(1, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.False(doc.RootElement.TryGetProperty("policy_hash", out _));
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("policy_invalid", error.GetProperty("code").GetString());
        Assert.Equal("sandbox.network.allow[0].ports[0]", error.GetProperty("path").GetString());
        Assert.Equal(8, error.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task Validate_text_names_the_file_and_each_problem_with_line_and_column()
    {
        var file = _repo.Write("cleanroom.yaml", "version: 2\nsandbox:\n  image:\n    ref: busybox:latest\n");

        var run = await CliRun.InvokeAsync(_repo.Path, NoEnv, "policy", "validate");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{file}: invalid", run.Out);
        Assert.Contains($"{file}:1:", run.Out);
        Assert.Contains("version", run.Out);
        Assert.Contains("sandbox.image.ref", run.Out);
    }

    [Fact]
    public async Task Validate_from_a_subdirectory_finds_the_policy_and_warns_about_an_ignored_fallback()
    {
        var policy = $"version: 1\nsandbox:\n  image:\n    ref: busybox@{Digest}\n";
        _repo.Write("cleanroom.yaml", policy);
        _repo.Write(".buildkite/cleanroom.yaml", policy);
        Directory.CreateDirectory(Path.Combine(_repo.Path, "src", "app"));

        var run = await CliRun.InvokeAsync("/", NoEnv, "policy", "validate", "--json", "--chdir", Path.Combine(_repo.Path, "src", "app"));

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal(Path.Combine(_repo.Path, "cleanroom.yaml"), doc.RootElement.GetProperty("path").GetString());
        var warning = Assert.Single(doc.RootElement.GetProperty("warnings").EnumerateArray());
        Assert.Contains(".buildkite/cleanroom.yaml", warning.GetString());
    }

    [Fact]
    public async Task Validate_without_a_policy_file_exits_2()
    {
        var run = await CliRun.InvokeAsync(_repo.Path, NoEnv, "policy", "validate", "--json");

        Assert.Equal(2, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal("policy_not_found", doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Show_prints_the_compiled_policy_with_every_stage_explicit()
    {
        _repo.Write("cleanroom.yaml", $"version: 1\nsandbox:\n  image:\n    ref: busybox@{Digest}\n  network:\n    allow: [\"b.example:443\", \"a.example:80\", \"a.example:443\"]\n");

        var run = await CliRun.InvokeAsync(_repo.Path, NoEnv, "policy", "show", "--json");

        Assert.Equal(0, run.ExitCode);
        var text = run.Out;
        Assert.True(text.IndexOf("a.example", StringComparison.Ordinal) < text.IndexOf("b.example", StringComparison.Ordinal));
        foreach (var stage in new[] { "repository", "dependencies", "services", "execution" })
        {
            Assert.Contains($"\"{stage}\"", text);
        }
    }
}
