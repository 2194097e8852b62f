using System.Text.Json;
using Cleanroom.Testing.Registry;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>cleanroom exec --image 127.0.0.1:PORT/name@sha256:…</c> of an image the server does not have: the server pulls
/// it from a registry on loopback (listed in <c>images.insecure_registries</c>) while the sandbox is PROVISIONING, and
/// the CLI shows the pull as it goes. The server has an image store of its own, so nothing reaches the host's.
/// </summary>
public sealed class ImagePullEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("cleanroom-e2e-pull-");
    private LocalRegistry registry = null!;
    private RealServer server = null!;

    public async Task InitializeAsync()
    {
        if (RegistryTools.Missing() is { } missing)
        {
            throw new InvalidOperationException($"the pull tests need a registry: {missing}");
        }

        registry = await LocalRegistry.StartAsync();
        server = await RealServer.StartAsync(configYaml: $"images:\n  insecure_registries: [\"{registry.Host}\"]\n", ownImageStore: true);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (server is not null)
            {
                // The server's own account, for when a test failed.
                var log = Path.Combine(server.Root, "state", "cleanroom", "server.log");
                output.WriteLine(File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(40)) : "(no server log)");
                await server.DisposeAsync();
            }
        }
        finally
        {
            if (registry is not null)
            {
                await registry.DisposeAsync();
            }

            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Exec_runs_in_an_image_the_server_had_to_pull_and_shows_the_pull_while_it_waits()
    {
        // busybox from setup, plus a layer only this test has: the image's digest is new, so no store can hold it.
        var marker = Guid.NewGuid().ToString("N");
        var layout = new OciLayout(Path.Combine(scratch.FullName, "layout"));
        var manifest = layout.AddImage(
        [
            LayerBuilder.FromTar(await File.ReadAllBytesAsync(Path.Combine(Product.RepositoryRoot, "out", "images", "busybox.tar"))),
            new LayerBuilder().File("etc/pulled-marker", marker).Build(),
        ]);
        layout.Tag("1", manifest);
        await registry.PushAsync(layout, "1", "e2e/busybox");
        var reference = $"{registry.Host}/e2e/busybox@{manifest.Digest}";

        var run = await server.CleanroomAsync("exec", "--rm", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"),
            "--image", reference, "--", "cat", "/etc/pulled-marker");
        output.WriteLine(run.Stderr);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(marker, run.Stdout);
        var pullLines = run.Stderr.Split('\n').Where(line => line.StartsWith("cleanroom: ", StringComparison.Ordinal)).ToList();
        var started = pullLines.FindIndex(line => line == $"cleanroom: pulling image {reference}");
        var finished = pullLines.FindIndex(line => line.StartsWith($"cleanroom: pulled image {registry.Host}/e2e/busybox@{manifest.Digest} (2 layers,", StringComparison.Ordinal));
        Assert.True(started >= 0 && finished > started, run.Stderr);
        Assert.Contains(pullLines, line => line.StartsWith("cleanroom: layer 1 of 2 (sha256:", StringComparison.Ordinal) && line.EndsWith("verified", StringComparison.Ordinal));
        Assert.Contains(pullLines, line => line.StartsWith("cleanroom: layer 2 of 2 (sha256:", StringComparison.Ordinal) && line.EndsWith("verified", StringComparison.Ordinal));
        var images = await server.CleanroomAsync("image", "ls", "--json");
        Assert.Contains(manifest.Digest, images.Stdout);
    }

    [Fact]
    public async Task Exec_of_a_digest_the_registry_does_not_have_fails_with_image_not_found_and_leaves_nothing()
    {
        var reference = $"{registry.Host}/e2e/missing@sha256:{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}";

        var run = await server.CleanroomAsync("exec", "--rm", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"),
            "--image", reference, "--", "true");
        output.WriteLine(run.Stderr);

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("cleanroom: image_not_found: ", run.Stderr);
        Assert.Contains($"cleanroom: pulling image {reference}", run.Stderr);
        var inspect = await server.CleanroomAsync("sandbox", "inspect", "--last", "--json");
        using var sandbox = JsonDocument.Parse(inspect.Stdout);
        var id = sandbox.RootElement.GetProperty("sandbox_id").GetString()!;
        Assert.Equal("SANDBOX_STATUS_FAILED", sandbox.RootElement.GetProperty("status").GetString());
        Assert.Equal("image_not_found", sandbox.RootElement.GetProperty("error").GetProperty("code").GetString());
        // Nothing left behind: no container, no network namespace, no sandbox directory, nothing in the store.
        var containers = await Shell.RunAsync(["runsc", $"--root={server.RunscRoot}", "list", "--format=json"]);
        Assert.DoesNotContain(id, containers.Stdout);
        Assert.DoesNotContain(id, await Shell.CheckAsync("ip", "netns", "list"));
        Assert.False(Directory.Exists(Path.Combine(server.Root, "cache", "cleanroom", "sandboxes", id)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.ImageStoreRoot, "tmp")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.ImageStoreRoot, "blobs", "sha256")));
    }
}
