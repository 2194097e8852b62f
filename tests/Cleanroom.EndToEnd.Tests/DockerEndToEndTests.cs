using System.Diagnostics;
using System.Text.Json;
using Cleanroom.Testing.Registry;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// What the Docker tests share, made once for the class: the "internet host" namespace serving a page no container may
/// reach on one port and a registry on another, the registry holding busybox as <c>e2e/busybox:1</c>, a server that
/// resolves <c>registry.test</c> to that namespace, and the debian-docker image imported.
/// </summary>
public sealed class DockerWorld : IAsyncLifetime
{
    public const int RegistryPort = 5000;

    private UpstreamNamespace _upstream = null!;
    private LocalRegistry _registry = null!;

    public RealServer Server { get; private set; } = null!;

    public string DockerImage { get; private set; } = null!;

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

        Server = await RealServer.StartAsync($"  dns:\n    hosts:\n      registry.test: {UpstreamNamespace.Address}\n");
        DockerImage = await Product.DockerImageAsync(Server);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        if (_registry is not null)
            await _registry.DisposeAsync();
        if (_upstream is not null)
            await _upstream.DisposeAsync();
    }
}

/// <summary>
/// Docker inside a sandbox (policy <c>docker.required</c>), QEMU and gVisor, through the whole product: dockerd started
/// by the server before the services stage, an image built and run from a registry that exists only as the test's own
/// host in its own namespace (reached by name through the policy resolver), a container that reaches a host the policy
/// allows and one that tries a host it does not (the same namespace, another port), blocked and reported like any
/// other connection of the sandbox, and an image without dockerd failing at once with <c>docker_unavailable</c>.
/// </summary>
public sealed class DockerEndToEndTests(DockerWorld world, ITestOutputHelper output) : IClassFixture<DockerWorld>
{
    private const int RegistryPort = DockerWorld.RegistryPort;
    private readonly RealServer _server = world.Server;
    private readonly string _dockerImage = world.DockerImage;

    /// <param name="network">
    /// How containers and builds are networked: in a VM, dockerd's default bridge (NATed to the guest's address); under
    /// gVisor, which has no bridges, the sandbox's own network (<c>--network=host</c>).
    /// </param>
    [Theory]
    [InlineData("qemu", "")]
    [InlineData("gvisor", "--network=host ")]
    public async Task Docker_builds_and_runs_an_image_from_the_registry_and_its_containers_meet_the_egress_rules(string backend, string network)
    {
        var directory = await PolicyAsync($"docker-{backend}",
            $"version: 1\nsandbox:\n  image:\n    ref: {_dockerImage}\n  docker:\n    required: true\n"
            // The registry by name (dockerd pulls through the policy resolver) and by address (the container's own check).
            + $"  network:\n    default: deny\n    allow:\n      - registry.test:{RegistryPort}\n      - {UpstreamNamespace.Address}:{RegistryPort}\n"
            // A dependency block configures dockerd before it starts: the registry speaks plain HTTP.
            + "  dependencies:\n    - name: registry-config\n      command: |\n"
            + $"        mkdir -p /etc/docker && echo '{{\"insecure-registries\": [\"registry.test:{RegistryPort}\"]}}' > /etc/docker/daemon.json\n");
        var script = string.Join('\n',
            "set -e",
            "mkdir -p /tmp/context && cd /tmp/context",
            $"printf 'FROM registry.test:{RegistryPort}/e2e/busybox:1\\nENV PATH=/usr/sbin:/usr/bin:/sbin:/bin\\nRUN echo built in the sandbox > /built.txt\\nCMD [\"cat\", \"/built.txt\"]\\n' > Dockerfile",
            $"docker build {network}-q -t e2e/built . >/dev/null",
            $"docker run --rm {network}e2e/built",
            // busybox nc, not wget: Debian's static busybox wget crashes (SIGSEGV) even on the host. First a host the policy
            // allows, so that "denied" below cannot just mean a container without a network.
            $"docker run --rm {network}e2e/built sh -c 'printf \"GET /v2/ HTTP/1.0\\r\\n\\r\\n\" | nc -w 5 {UpstreamNamespace.Address} {RegistryPort}' | head -n 1 | tr -d '\\r'",
            $"if docker run --rm {network}e2e/built sh -c 'printf \"GET /hello.txt HTTP/1.0\\r\\n\\r\\n\" | nc -w 5 {UpstreamNamespace.Address} {UpstreamNamespace.Port}'"
            + " | grep -q 'no container may reach'; then echo container reached the denied host; else echo container was denied; fi");

        var clock = Stopwatch.StartNew();
        var created = await _server.CleanroomAsync("create", "--chdir", directory, "--backend", backend);
        output.WriteLine($"{backend} create: {clock.Elapsed.TotalSeconds:F1} s\n{created.Stderr}");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("services block 'dockerd' dockerd ready (docker 20.10", created.Stderr);
        var sandboxId = created.Stdout.Trim();

        clock.Restart();
        var run = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "sh", "-c", script);
        output.WriteLine($"{backend} build and runs: {clock.Elapsed.TotalSeconds:F1} s\n{run.Stderr}");

        Assert.True(run.ExitCode == 0, run.ToString());
        var events = await _server.CleanroomAsync("sandbox", "events", sandboxId, "--json");
        output.WriteLine(run.Stdout);
        Assert.Equal("built in the sandbox\nHTTP/1.0 200 OK\ncontainer was denied\n", run.Stdout);
        // The container's connection left through the sandbox's one link (masqueraded to the guest's address in a VM,
        // the sandbox's own socket under gVisor): the firewall dropped it and reported it against this sandbox.
        // Named by the answer dockerd's pull got for registry.test, the denied port's host.
        Assert.Contains($"blocked egress to registry.test:{UpstreamNamespace.Port}/tcp ({UpstreamNamespace.Address}, host_not_allowed)", run.Stderr);
        var blocked = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("blocked_connection", out var b) && b.ValueKind == JsonValueKind.Object)
            .Select(e => e.GetProperty("blocked_connection"))
            .ToList();
        var report = Assert.Single(blocked, b => b.GetProperty("address").GetString() == UpstreamNamespace.Address);
        Assert.Equal(UpstreamNamespace.Port, report.GetProperty("port").GetInt32());
        Assert.Equal("execution", report.GetProperty("stage").GetString());
        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", sandboxId)).ExitCode);
    }

    [Theory]
    [InlineData("qemu")]
    [InlineData("gvisor")]
    public async Task An_image_without_dockerd_fails_at_once_with_docker_unavailable_and_leaves_nothing(string backend)
    {
        var directory = await PolicyAsync($"no-docker-{backend}",
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  docker:\n    required: true\n"
            + "  dependencies:\n    - name: never\n      command: echo this block must not run\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", directory, "--backend", backend, "--", "true");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("docker_unavailable", run.Stderr);
        Assert.Contains("the image has no dockerd docker containerd runc", run.Stderr);
        Assert.DoesNotContain("dependencies block 'never'", run.Stderr);
        var inspect = await _server.CleanroomAsync("sandbox", "inspect", "--last", "--json");
        using var sandbox = JsonDocument.Parse(inspect.Stdout);
        var id = sandbox.RootElement.GetProperty("sandbox_id").GetString()!;
        Assert.Equal("SANDBOX_STATUS_FAILED", sandbox.RootElement.GetProperty("status").GetString());
        Assert.Equal("docker_unavailable", sandbox.RootElement.GetProperty("error").GetProperty("code").GetString());
        // Nothing left of it: no network namespace, no VM run directory or gVisor sandbox tree, no container.
        Assert.DoesNotContain(id, await Shell.CheckAsync("ip", "netns", "list"));
        Assert.False(Directory.Exists(Path.Combine(_server.Root, "run", "cleanroom", "qemu", id)));
        Assert.False(Directory.Exists(Path.Combine(_server.Root, "cache", "cleanroom", "sandboxes", id)));
        Assert.DoesNotContain(id, (await Shell.RunAsync(["runsc", $"--root={_server.RunscRoot}", "list", "--format=json"])).Stdout);
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
