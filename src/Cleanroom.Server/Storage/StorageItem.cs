namespace Cleanroom.Server.Storage;

/// <summary>One item of the host's storage: what it is, where, how large, and whether something uses it now.</summary>
public sealed record StorageItem(string Category, string Name, string Path, long SizeBytes, bool InUse);

/// <summary>The categories <c>system df</c> reports, as they appear in its output and the API.</summary>
public static class StorageCategories
{
    public const string Images = "images";
    public const string ImageCache = "image_cache";
    public const string Sandboxes = "sandboxes";
    public const string BlockCache = "block_cache";
    public const string RepositoryMirrors = "repository_mirrors";
    public const string RegistryCache = "registry_cache";
    public const string Checkouts = "checkouts";
    public const string RetainedOutput = "retained_output";
    /// <summary>Stored snapshots: never in use (a sandbox from one has its own copy); pruned only with <c>--all</c>, as images are.</summary>
    public const string Snapshots = "snapshots";
}
