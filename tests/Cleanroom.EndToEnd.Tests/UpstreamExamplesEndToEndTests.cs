namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Upstream Cleanroom's example policies (examples/basic, examples/rails, examples/docker) as their users have them,
/// with only the image swapped for this host's default image (their images are on registries this host never
/// reaches): basic runs; the rails-like one runs its dependency block (argv command list, env, cached outputs outside
/// the repository, resources) with <c>repository.enabled: false</c> keeping the checkout out; docker runs dockerd in a
/// QEMU sandbox of the debian-docker image (DockerEndToEndTests covers builds, containers and their egress).
/// </summary>
public sealed class UpstreamExamplesEndToEndTests(SharedServer shared) : SharedServerTests(shared.Server), IClassFixture<SharedServer>
{
    private readonly RealServer _server = shared.Server;

    [Fact]
    public async Task The_basic_example_runs()
    {
        var directory = await PolicyAsync("basic",
            "version: 1\nrepository:\n  enabled: false\nsandbox:\n  image:\n    ref: IMAGE\n  network:\n    default: deny\n    allow: api.github.com:443\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--", "sh", "-c", "echo basic ran");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("basic ran\n", run.Stdout);
    }

    [Fact]
    public async Task The_rails_like_example_runs_its_dependency_block_and_keeps_the_checkout_out()
    {
        var directory = await PolicyAsync("rails",
            "version: 1\nrepository:\n  enabled: false\nsandbox:\n  image:\n    ref: IMAGE\n  resources:\n    memory: 4GiB\n    disk: 14GiB\n"
            + "  dependencies:\n    - name: bundle\n      env:\n        GEM_HOME: /usr/local/bundle\n        BUNDLE_PATH: /usr/local/bundle\n"
            + "      command:\n        - sh\n        - -lc\n        - >-\n          mkdir -p \"$GEM_HOME\" &&\n          echo \"installed by $0 with $GEM_HOME\" > \"$BUNDLE_PATH/marker\"\n"
            + "      inputs:\n        files:\n          - Gemfile\n          - Gemfile.lock\n      outputs:\n        dirs:\n          - /usr/local/bundle\n"
            + "  network:\n    default: deny\n    allow:\n      - host: github.com\n        ports: [443]\n      - host: rubygems.org\n        ports: [443]\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "Gemfile"), "source 'https://rubygems.org'\n");
        await Shell.CheckAsync("git", "init", "-q", directory);
        await Shell.CheckAsync("git", "-C", directory, "add", ".");
        await Shell.CheckAsync("git", "-C", directory, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qm", "init");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--", "sh", "-c", "cat /usr/local/bundle/marker; ls -A /workspace | wc -l");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("installed by sh with /usr/local/bundle\n0\n", run.Stdout);
        Assert.Contains("dependencies block 'bundle' succeeded", run.Stderr);
    }

    [Fact]
    public async Task The_docker_example_runs_dockerd_on_qemu()
    {
        var directory = await PolicyAsync("docker",
            "version: 1\nrepository:\n  enabled: false\nsandbox:\n  image:\n    ref: IMAGE\n  docker:\n    required: true\n  network:\n    default: deny\n"
            + "    allow:\n      - host: auth.docker.io\n        ports: [443]\n      - host: registry-1.docker.io\n        ports: [443]\n",
            await Product.DockerImageAsync(_server));

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--backend", "qemu", "--",
            "docker", "info", "--format", "{{.ServerVersion}} {{.Driver}} {{.CgroupVersion}}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("20.10.", run.Stdout);
        Assert.EndsWith(" overlay2 2\n", run.Stdout);
    }

    private async Task<string> PolicyAsync(string name, string yaml, string? image = null)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_server.Root, name)).FullName;
        var validated = yaml.Replace("IMAGE", image ?? Product.DefaultImage, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"), validated);
        var check = await _server.CleanroomAsync("policy", "validate", "--chdir", directory);
        Assert.True(check.ExitCode == 0, check.ToString());
        return directory;
    }
}
