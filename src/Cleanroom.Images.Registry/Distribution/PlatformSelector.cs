using Cleanroom.Errors;

namespace Cleanroom.Images.Registry.Distribution;

/// <summary>Picks the manifest for a platform out of an image index, or says which platforms there are.</summary>
internal static class PlatformSelector
{
    public static RemoteDescriptor Select(ManifestDocument index, ImagePlatform platform, string what)
    {
        var manifests = index.Content.Manifests!
            .Where(entry => entry.MediaType is null or ManifestDocument.OciManifest or ManifestDocument.DockerManifest)
            .ToList();
        var match = manifests.FirstOrDefault(entry => platform.Matches(entry.Platform?.Os, entry.Platform?.Architecture, entry.Platform?.Variant));
        if (match is not null)
        {
            return match;
        }

        // Attestation manifests carry unknown/unknown; they are not platforms anyone can run.
        var offered = manifests.Where(entry => entry.Platform is { Os: not null and not "unknown" }).Select(entry => entry.Platform!.ToString()).Distinct();
        throw new CleanroomException(ErrorCode.PlatformNotFound,
            $"{what} has no manifest for platform {platform}; it offers {string.Join(", ", offered).DefaultIfEmpty("none")}");
    }

    private static string DefaultIfEmpty(this string text, string fallback) => text.Length > 0 ? text : fallback;
}
