using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

public sealed class PolicyCompilerTests
{
    private const string Image = "ghcr.io/buildkite/cleanroom-base/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void A_command_list_becomes_the_shell_line_that_runs_exactly_that_argv()
    {
        var result = PolicyCompiler.Compile(
            $"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  dependencies:\n    - name: deps\n      command: [sh, -lc, \"echo it's $HOME\"]\n", "t.yaml");

        Assert.True(result.Valid, string.Join("\n", result.Errors));
        Assert.Equal("'sh' '-lc' 'echo it'\\''s $HOME'", result.Policy!.Dependencies[0].Command);
    }

    [Fact]
    public void Repository_enabled_false_is_kept_through_canonical_json_and_changes_the_hash()
    {
        var disabled = PolicyCompiler.Compile($"version: 1\nrepository:\n  enabled: false\nsandbox:\n  image:\n    ref: {Image}\n", "t.yaml").Policy!;
        var enabled = PolicyCompiler.Compile($"version: 1\nrepository:\n  enabled: true\nsandbox:\n  image:\n    ref: {Image}\n", "t.yaml").Policy!;
        var unset = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n", "t.yaml").Policy!;

        Assert.False(disabled.RepositoryEnabled);
        Assert.False(CompiledPolicy.FromCanonicalJson(disabled.CanonicalJson).RepositoryEnabled);
        Assert.Equal(unset.PolicyHash, enabled.PolicyHash);
        Assert.NotEqual(unset.PolicyHash, disabled.PolicyHash);
    }

    [Fact]
    public void All_errors_are_reported_in_one_pass_in_file_order()
    {
        var result = PolicyCompiler.Compile($"""
            version: 1
            sandbox:
              image:
                ref: {Image}
              network:
                allow:
                  - example.com
                  - host: api.example.com
                    ports: [443, 0]
              resources:
                vcpus: 0
              typo: true
            """, "p.yaml");

        Assert.False(result.Valid);
        Assert.Equal(
            ["sandbox.network.allow[0]", "sandbox.network.allow[1].ports[1]", "sandbox.resources.vcpus", "sandbox.typo"],
            result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void Errors_point_at_the_line_and_column_of_the_offending_value()
    {
        var result = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  network:\n    allow:\n      - host: example.com\n        ports: [443, 70000]\n", "p.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal((ErrorCode.PolicyInvalid, "sandbox.network.allow[0].ports[1]", 8, 22), (error.Code, error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Syntax_errors_carry_the_parser_position()
    {
        var error = Assert.Single(PolicyCompiler.Compile("version: 1\nsandbox: {image: [\n", "p.yaml").Errors);
        Assert.Equal(ErrorCode.PolicyInvalid, error.Code);
        Assert.True(error.Line >= 2, error.ToString());
    }

    [Fact]
    public void Older_docker_spelling_compiles_with_a_warning()
    {
        var result = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  services:\n    docker:\n      required: true\n", "p.yaml");

        Assert.True(result.Valid);
        Assert.True(result.Policy!.DockerRequired);
        Assert.Contains(result.Warnings, w => w.Contains("sandbox.docker.required"));
    }

    [Fact]
    public void Stage_local_blocks_do_not_inherit_and_omitted_stages_get_nothing()
    {
        var policy = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  network:\n    execution:\n      allow: [api.example.com:443]\n", "p.yaml").Policy!;

        Assert.Equal("api.example.com", Assert.Single(policy.Network.Execution).Host);
        Assert.Empty(policy.Network.Repository);
        Assert.Empty(policy.Network.Dependencies);
        Assert.Empty(policy.Network.Services);
    }

    [Fact]
    public void Workload_blocks_keep_their_order_and_sort_their_sets()
    {
        var policy = PolicyCompiler.Compile($"""
            version: 1
            sandbox:
              image:
                ref: {Image}
              dependencies:
                - name: zeta
                  command: make z
                  inputs:
                    files: [b.lock, a.lock, b.lock]
                  env:
                    ZED: "1"
                    ALPHA: "2"
                - name: alpha
                  command: make a
            """, "p.yaml").Policy!;

        Assert.Equal(["zeta", "alpha"], policy.Dependencies.Select(b => b.Name));
        Assert.Equal(["a.lock", "b.lock"], policy.Dependencies[0].InputFiles.ToArray());
        Assert.Equal(["ALPHA", "ZED"], policy.Dependencies[0].Env.Keys);
    }

    [Fact]
    public void Unpaired_surrogates_from_in_memory_text_are_rejected()
    {
        var result = PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  run:\n    before: echo \ud800\n", "p.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("sandbox.run.before", 6, 13), (error.Path, error.Line, error.Column));
        Assert.Contains("unpaired UTF-16 surrogate", error.Message);
    }

    [Fact]
    public void Null_arguments_are_programmer_errors()
    {
        Assert.Throws<ArgumentNullException>(() => PolicyCompiler.Compile(null!, "p.yaml"));
        Assert.Throws<ArgumentNullException>(() => PolicyCompiler.Compile("", null!));
    }

    [Fact]
    public void Error_json_has_the_fields_the_cli_prints()
    {
        var json = PolicyCompiler.Compile("version: 2\n", "p.yaml").Errors[0].ToJson();

        Assert.Equal(["code", "path", "line", "column", "message"], json.Select(p => p.Key));
    }

    [Fact]
    public void Deeply_nested_input_is_an_error_not_a_crash()
    {
        var result = PolicyCompiler.Compile("version: 1\nsandbox: " + new string('[', 5000) + new string(']', 5000) + "\n", "p.yaml");

        Assert.False(result.Valid);
        Assert.Contains(result.Errors, e => e.Message.Contains("nesting"));
    }
}
