using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Images;

namespace Cleanroom.Backends.Qemu.Tests.Support;

/// <summary>
/// Built once for every VM test: the staged agent, the guest kernel (scripts/build-kernel.sh, a no-op once
/// cached), and an image store in a temporary directory holding the conformance busybox image. On dispose,
/// every QEMU started under the temporary directory is killed and the directory removed, even after failures.
/// </summary>
public sealed class QemuAssets : IAsyncLifetime
{
    public string Root { get; private set; } = "";
    public string AgentDirectory { get; private set; } = "";
    public string KernelPath { get; private set; } = "";
    public string ImageReference { get; private set; } = "";
    public ImageStore Store { get; private set; } = null!;

    /// <summary>Shared by every backend the tests make, so each image's ext4 disk is built once.</summary>
    public string CacheRoot => Path.Combine(Root, "cache");

    public async Task InitializeAsync()
    {
        if (new QemuRequirements().Missing() is not null)
            return; // every test skips; nothing to build
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(40));
        // Short: the agent socket path must fit a unix socket address.
        Root = Directory.CreateTempSubdirectory("crq-").FullName;
        AgentDirectory = await BuildScripts.StagedAgentAsync(deadline.Token);
        KernelPath = Path.Combine(await BuildScripts.GuestKernelDirectoryAsync(deadline.Token), "vmlinux");
        Store = new ImageStore(new ImageStoreOptions(Path.Combine(Root, "images"), Path.Combine(Root, "rootfs")));
        ImageReference = await ConformanceImage.ImportAsync(Store, deadline.Token);
    }

    public Task DisposeAsync()
    {
        if (Root.Length == 0)
            return Task.CompletedTask;
        foreach (var (pid, _) in HostPids.QemusUnder(Root))
            HostPids.KillAndWait(pid, TimeSpan.FromSeconds(10));
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class QemuCollection : ICollectionFixture<QemuAssets>
{
    // One collection: VM tests run one class at a time, which is all two cores can boot without timeouts.
    public const string Name = "qemu";
}
