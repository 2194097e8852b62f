namespace Cleanroom.Images;

/// <summary>Where the store keeps its files.</summary>
/// <param name="Root">The OCI image layout: <c>$XDG_DATA_HOME/cleanroom/images</c> for the server.</param>
/// <param name="RootfsCacheRoot">
/// Unpacked trees by manifest digest: <c>$XDG_CACHE_HOME/cleanroom/rootfs</c> for the server. Must be on one
/// filesystem with itself (trees are built beside their final place, then renamed).
/// </param>
public sealed record ImageStoreOptions(string Root, string RootfsCacheRoot);
