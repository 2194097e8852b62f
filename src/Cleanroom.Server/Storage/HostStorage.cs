using Cleanroom.ControlPlane;
using Cleanroom.HostProcesses;
using Cleanroom.Images;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Storage;

/// <summary>
/// What this server keeps on the host's disk (<c>system df</c>) and removing what nothing uses (<c>system prune</c>).
/// The server answers both because only it knows what is in use: live sandboxes and warm-pool spares, the images they
/// run, the default image, mirrors a gateway request holds, checkouts a create is making. Each store is removed
/// through its owner (the image store's lock and collector, the block cache, the mirrors' housekeeping), never by
/// deleting under it.
/// </summary>
internal sealed class HostStorage(
    HostDirectories directories, ImageStore images, SandboxControl control, RepositoryMirrors? mirrors,
    Gateway.Registries.RegistryCache? registryCache, string defaultImage,
    TimeProvider clock, ILogger<HostStorage> logger)
{
    /// <summary>A checkout or sandbox directory without a record younger than this may still be in the making.</summary>
    private static readonly TimeSpan InTheMaking = TimeSpan.FromMinutes(10);

    private string SandboxesRoot => Path.Combine(directories.CacheHome, "sandboxes");

    private string CheckoutsRoot => Path.Combine(directories.CacheHome, "checkouts");

    public async Task<IReadOnlyList<StorageItem>> UsageAsync(CancellationToken cancellationToken)
    {
        var use = await InUseAsync(cancellationToken);
        var items = new List<StorageItem>();
        foreach (var image in images.List())
        {
            items.Add(new StorageItem(StorageCategories.Images, image.Reference.ToString(), Path.Combine(directories.DataHome, "images"),
                Math.Max(image.Size, 0), use.ImageInUse(image)));
        }

        // Unpacked trees and VM disk images are derived from images: they go when their image goes.
        items.AddRange(Children(Path.Combine(directories.CacheHome, "rootfs")).Select(d => use.Item(StorageCategories.ImageCache, "rootfs/" + d.Name, d.FullName, inUse: true)));
        items.AddRange(Children(Path.Combine(directories.CacheHome, "qemu")).Select(d => use.Item(StorageCategories.ImageCache, "qemu/" + d.Name, d.FullName, inUse: true)));
        items.AddRange(Children(SandboxesRoot).Select(d => use.Item(StorageCategories.Sandboxes, SandboxIdOf(d.Name), d.FullName, !use.SandboxRemovable(d))));
        if (control.BlockCache is { } blocks)
        {
            items.AddRange(blocks.Archives().Select(a => new StorageItem(StorageCategories.BlockCache, a.Name, a.FullName, DiskSpace.AllocatedBytes(a.FullName), InUse: false)));
        }

        if (mirrors is not null)
        {
            items.AddRange(mirrors.Housekeeping.Measure().Select(m =>
                use.Item(StorageCategories.RepositoryMirrors, Path.GetRelativePath(mirrors.Root, m.Path), m.Path, m.InUse)));
        }

        if (registryCache is not null)
        {
            // One row per registry host (npm/registry.npmjs.org_443, pypi/files.pythonhosted.org_443): what each costs.
            // A file being served when prune removes its scope stays readable through its open handle.
            items.AddRange(registryCache.Scopes().Select(s => use.Item(StorageCategories.RegistryCache, s.Name, s.Path, inUse: false)));
        }

        items.AddRange(control.ListSnapshots().Select(s => new StorageItem(StorageCategories.Snapshots, s.Id, control.SnapshotPath(s.Id), s.Bytes, InUse: false)));
        items.AddRange(Children(CheckoutsRoot).Select(d => use.Item(StorageCategories.Checkouts, d.Name, d.FullName, Recent(d))));
        // Execution output is kept with its record and goes with it (records.retention_days), not by prune.
        foreach (var retained in new[] { "executions", "spool" })
        {
            var path = Path.Combine(directories.StateHome, retained);
            if (Directory.Exists(path))
                items.Add(use.Item(StorageCategories.RetainedOutput, retained, path, inUse: true));
        }

        return items;
    }

    /// <summary>
    /// Removes every item nothing uses: ended sandboxes' directories, cached block outputs, registry caches, mirrors no request holds,
    /// checkouts no create is making; with <paramref name="all"/>, also snapshots and images no live sandbox or spare runs
    /// (never the default image). With <paramref name="dryRun"/> it lists the same items and removes nothing.
    /// </summary>
    public async Task<IReadOnlyList<StorageItem>> PruneAsync(bool dryRun, bool all, CancellationToken cancellationToken)
    {
        var doomed = (await UsageAsync(cancellationToken))
            .Where(item => !item.InUse && (all || item.Category is not (StorageCategories.Images or StorageCategories.Snapshots)))
            .ToList();
        if (dryRun)
            return doomed;

        var use = await InUseAsync(cancellationToken);
        var removed = new List<StorageItem>();
        foreach (var item in doomed)
        {
            try
            {
                if (await RemoveAsync(item, use, cancellationToken))
                    removed.Add(item);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Cleanroom.Errors.CleanroomException)
            {
                // Something took it up meanwhile (an image a new sandbox runs) or it is partly gone: the next prune sees.
                logger.LogWarning("system prune: {Category} {Name} not removed: {Error}", item.Category, item.Name, e.Message);
            }
        }

        return removed;
    }

    private async Task<bool> RemoveAsync(StorageItem item, InUse use, CancellationToken cancellationToken)
    {
        switch (item.Category)
        {
            case StorageCategories.Images:
                await images.RemoveAsync(item.Name, force: false, digest => use.Digests.Contains(digest.ToString()), cancellationToken);
                return true;
            case StorageCategories.Sandboxes:
                // Asked again just before: a sandbox may have started with this id's directory meanwhile (it cannot,
                // ids are fresh, but its disk may have been mounted by a backend re-adopting it).
                if (!(use with { MountPoints = MountTable.MountPoints() }).SandboxRemovable(new DirectoryInfo(item.Path)))
                    return false;
                Directory.Delete(item.Path, recursive: true);
                return true;
            case StorageCategories.Snapshots:
                control.DeleteSnapshot(item.Name);
                return true;
            case StorageCategories.BlockCache:
                control.BlockCache?.Remove(new FileInfo(item.Path));
                return true;
            case StorageCategories.RepositoryMirrors:
                return mirrors?.Housekeeping.TryRemove(item.Path) ?? false;
            case StorageCategories.RegistryCache:
                return registryCache?.RemoveScope(item.Path) ?? false;
            case StorageCategories.Checkouts:
                if (Recent(new DirectoryInfo(item.Path)))
                    return false;
                Directory.Delete(item.Path, recursive: true);
                return true;
            default:
                return false;
        }
    }

    private async Task<InUse> InUseAsync(CancellationToken cancellationToken)
    {
        var sandboxes = await control.ListSandboxesAsync(cancellationToken);
        var live = sandboxes.Where(s => s.Status is SandboxStatus.Provisioning or SandboxStatus.Ready or SandboxStatus.Stopping)
            .Select(s => s.Id).Concat(control.WarmPoolSandboxIds()).ToHashSet(StringComparer.Ordinal);
        var ended = sandboxes.Where(s => !live.Contains(s.Id)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var digests = sandboxes.Where(s => live.Contains(s.Id)).Select(s => s.ImageRef).Concat(control.WarmPoolImageRefs())
            .Select(reference => reference[(reference.LastIndexOf('@') + 1)..]).ToHashSet(StringComparer.Ordinal);
        string? defaultDigest = null;
        try
        {
            defaultDigest = images.Resolve(defaultImage).ManifestDigest.ToString();
        }
        catch (Cleanroom.Errors.CleanroomException)
        {
            // Not in the store: nothing to keep for it.
        }

        return new InUse(live, ended, digests, defaultDigest, MountTable.MountPoints(), clock.GetUtcNow());
    }

    /// <summary>Sandbox directories are <c>cleanroom-ID</c>.</summary>
    private static string SandboxIdOf(string directoryName) =>
        directoryName.StartsWith("cleanroom-", StringComparison.Ordinal) ? directoryName["cleanroom-".Length..] : directoryName;

    private bool Recent(DirectoryInfo directory) => clock.GetUtcNow() - directory.LastWriteTimeUtc < InTheMaking;

    private static IEnumerable<DirectoryInfo> Children(string root) =>
        Directory.Exists(root) ? new DirectoryInfo(root).EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal) : [];

    /// <summary>What is in use at one moment, with the mount table read once for the whole report.</summary>
    private sealed record InUse(
        HashSet<string> Live, HashSet<string> Ended, HashSet<string> Digests, string? DefaultDigest, IReadOnlyList<string> MountPoints, DateTimeOffset Now)
    {
        public StorageItem Item(string category, string name, string path, bool inUse) =>
            new(category, name, path, DirectorySize.Of(path, MountPoints), inUse);

        public bool ImageInUse(ImageSummary image) =>
            Digests.Contains(image.ManifestDigest.ToString()) || image.ManifestDigest.ToString() == DefaultDigest;

        /// <summary>
        /// An ended sandbox's directory (or, with no record at all, one old enough not to be a sandbox starting now)
        /// that nothing is mounted in.
        /// </summary>
        public bool SandboxRemovable(DirectoryInfo directory)
        {
            var id = SandboxIdOf(directory.Name);
            if (Live.Contains(id))
                return false;
            if (!Ended.Contains(id) && Now - directory.LastWriteTimeUtc < InTheMaking)
                return false;
            return !MountTable.Under(MountPoints, directory.FullName).Any();
        }
    }
}
