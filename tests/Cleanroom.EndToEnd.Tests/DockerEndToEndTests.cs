using System.Diagnostics;
using System.Text.Json;
using Cleanroom.Testing.Registry;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Docker inside a QEMU sandbox (policy <c>docker.required</c>), through the whole product: dockerd started by the
/// server before the services stage, an image built and run from a registry that exists only as the test's own host
/// in its own namespace (reached by name through the policy resolver), a container that tries a host the policy does
/// not allow (the same namespace, another port) blocked and reported like any other connection of the sandbox, and an
/// image without dockerd failing at once with <c>docker_unavailable</c>.
/// </summary>
public sealed class DockerEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int RegistryPort = 5000;
    private UpstreamNamespace _upstream = null!;
    private LocalRegistry _registry = null!;
    private RealServer _server = null!;
    private string _dockerImage = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamNamespace.StartAsync("a host no container may reach\n");
        _registry = await LocalRegistry.StartInNamespaceAsync(_upstream.Name, UpstreamNamespace.Address, RegistryPort);
        var scratch = Directory.CreateTempSubdirectory("cleanroom-e2e-docker-");
        try
        {
            var layout = new OciLayout(Path.Combine(scratch.FullName, "layout"));
            var manifest = layout.AddImage([LayerBuilder.FromTar(await File.ReadAllBytesAsync(Path.Combine(Product.RepositoryRoot, "out", "images", "busybox.tar")))]);
            layout.Tag("1", manifest);
            // Docker's own manifest format: what any dockerd pulls.
            await _registry.PushAsync(layout, "1", "e2e/busybox", format: "v2s2");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        _server = await RealServer.StartAsync($"  dns:\n    hosts:\n      registry.test: {UpstreamNamespace.Address}\n");
        _dockerImage = await Product.DockerImageAsync(_server);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _registry.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Docker_in_a_qemu_sandbox_builds_and_runs_an_image_from_the_registry_and_its_containers_meet_the_egress_rules()
    {
        var directory = await PolicyAsync("docker",
            $"version: 1\nsandbox:\n  image:\n    ref: {_dockerImage}\n  docker:\n    required: true\n"
            + $"  network:\n    default: deny\n    allow:\n      - registry.test:{RegistryPort}\n"
            // A dependency block configures dockerd before it starts: the registry speaks plain HTTP.
            + "  dependencies:\n    - name: registry-config\n"
            + $"      command: mkdir -p /etc/docker && echo '{{\"insecure-registries\": [\"registry.test:{RegistryPort}\"]}}' > /etc/docker/daemon.json\n");
        var denied = $"http://{UpstreamNamespace.Address}:{UpstreamNamespace.Port}/hello.txt";
        var script = string.Join('\n',
            "set -e",
            "mkdir -p /tmp/context && cd /tmp/context",
            $"printf 'FROM registry.test:{RegistryPort}/e2e/busybox:1\\nENV PATH=/usr/sbin:/usr/bin:/sbin:/bin\\nRUN echo built in the sandbox > /built.txt\\nCMD [\"cat\", \"/built.txt\"]\\n' > Dockerfile",
            "docker build -q -t e2e/built . >/dev/null",
            "docker run --rm e2e/built",
            $"if docker run --rm e2e/built wget -q -T 5 -O - {denied}; then echo container reached the denied host; else echo container was denied; fi");

        var clock = Stopwatch.StartNew();
        var created = await _server.CleanroomAsync("create", "--chdir", directory, "--backend", "qemu");
        output.WriteLine($"create: {clock.Elapsed.TotalSeconds:F1} s\n{created.Stderr}");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("services block 'dockerd' dockerd ready (docker 20.10", created.Stderr);
        var sandboxId = created.Stdout.Trim();

        clock.Restart();
        var run = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "sh", "-c", script);
        output.WriteLine($"build and runs: {clock.Elapsed.TotalSeconds:F1} s\n{run.Stderr}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("built in the sandbox\ncontainer was denied\n", run.Stdout);
        // The container's connection left through the sandbox's one link, masqueraded to its address: the firewall
        // dropped it and reported it against this sandbox and this execution.
        Assert.Contains($"blocked egress to {UpstreamNamespace.Address}:{UpstreamNamespace.Port}/tcp", run.Stderr);
        var events = await _server.CleanroomAsync("sandbox", "events", sandboxId, "--json");
        var blocked = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("blocked_connection", out var b) && b.ValueKind == JsonValueKind.Object)
            .Select(e => e.GetProperty("blocked_connection"))
            .ToList();
        var report = Assert.Single(blocked, b => b.GetProperty("address").GetString() == UpstreamNamespace.Address);
        Assert.Equal(UpstreamNamespace.Port, report.GetProperty("port").GetInt32());
        Assert.Equal("execution", report.GetProperty("stage").GetString());
    }

    [Fact]
    public async Task An_image_without_dockerd_fails_at_once_with_docker_unavailable_and_leaves_nothing()
    {
        var directory = await PolicyAsync("no-docker",
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  docker:\n    required: true\n"
            + "  dependencies:\n    - name: never\n      command: echo this block must not run\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--backend", "qemu", "--", "true");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("docker_unavailable", run.Stderr);
        Assert.Contains("the image has no dockerd docker containerd runc", run.Stderr);
        Assert.DoesNotContain("dependencies block 'never'", run.Stderr);
        Assert.Equal("", (await _server.CleanroomAsync("sandbox", "ls")).Stdout.Split('\n', 2)[1].Trim());
        Assert.Empty(Directory.Exists(Path.Combine(_server.Root, "run", "cleanroom", "qemu")) ? Directory.GetDirectories(Path.Combine(_server.Root, "run", "cleanroom", "qemu")) : []);
    }

    [Fact]
    public async Task On_gvisor_a_policy_that_requires_docker_fails_closed_naming_the_feature()
    {
        var directory = await PolicyAsync("gvisor-docker",
            $"version: 1\nsandbox:\n  image:\n    ref: {_dockerImage}\n  docker:\n    required: true\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--backend", "gvisor", "--", "true");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("backend_capability_mismatch", run.Stderr);
        Assert.Contains("services.docker", run.Stderr);
    }

    private async Task<string> PolicyAsync(string name, string yaml)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_server.Root, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"), yaml);
        var check = await _server.CleanroomAsync("policy", "validate", "--chdir", directory);
        Assert.True(check.ExitCode == 0, check.ToString());
        return directory;
    }
}
