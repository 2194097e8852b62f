using Cleanroom.Backends.Conformance;
using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>
/// What every gVisor test shares, made once: the staged agent and an image store (in a temporary
/// directory) holding the conformance image. Each test still gets backends with roots of its own.
/// </summary>
public sealed class GvisorAssets : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("cr-gv-assets-").FullName;

    public ImageStore Images { get; private set; } = null!;

    public string ImageRef { get; private set; } = "";

    public string AgentDirectory { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (GvisorRequirements.Missing() is not null)
            return; // every test skips; nothing to prepare
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        AgentDirectory = await BuildScripts.StagedAgentAsync(deadline.Token);
        Images = new ImageStore(new ImageStoreOptions(Path.Combine(_root, "images"), Path.Combine(_root, "rootfs")));
        ImageRef = await ConformanceImage.ImportAsync(Images, deadline.Token);
    }

    private Task<string>? _debian;

    /// <summary>
    /// The default image (out/images/debian.tar, GNU coreutils and bash) imported into <see cref="Images"/> on first
    /// use, for tests of what real distributions' tools need from the sentry; returns its pinned reference.
    /// </summary>
    public Task<string> DebianImageAsync()
    {
        lock (_root)
            return _debian ??= ImportDebianAsync();
    }

    private async Task<string> ImportDebianAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        await using var tar = File.OpenRead(await BuildScripts.DebianTarAsync(deadline.Token));
        var image = await Images.ImportAsync("cleanroom-test/debian:latest", tar, cancellationToken: deadline.Token);
        return image.Reference!.ToString();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class GvisorCollection : ICollectionFixture<GvisorAssets>
{
    // One collection: the tests run one at a time on a 2-core host, and share the assets.
    public const string Name = "gvisor";
}
