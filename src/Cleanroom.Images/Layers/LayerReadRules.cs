namespace Cleanroom.Images.Layers;

/// <summary>What differs between checking an imported rootfs tarball and applying one layer of many.</summary>
/// <param name="AllowWhiteouts">Whiteouts delete from lower layers; a rootfs tarball has none.</param>
/// <param name="HardLinksMayTargetLowerLayers">
/// When false, a hardlink must name an earlier entry of the same tarball; when true it may also name a file
/// of a lower layer, which the unpacker then checks in the tree itself.
/// </param>
internal sealed record LayerReadRules(bool AllowWhiteouts, bool HardLinksMayTargetLowerLayers)
{
    public static LayerReadRules RootfsImport { get; } = new(AllowWhiteouts: false, HardLinksMayTargetLowerLayers: false);

    public static LayerReadRules ApplyLayer { get; } = new(AllowWhiteouts: true, HardLinksMayTargetLowerLayers: true);
}
