namespace Cleanroom.Images.Oci;

/// <summary>Media types of the OCI image spec, plus the Docker v2 ones a registry may still serve.</summary>
internal static class OciMediaTypes
{
    internal const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    internal const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    internal const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    internal const string LayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    internal const string LayerTar = "application/vnd.oci.image.layer.v1.tar";
    internal const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    internal const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    internal static bool IsManifest(string? mediaType) => mediaType is ImageManifest or DockerManifest;

    internal static bool IsIndex(string? mediaType) => mediaType is ImageIndex or DockerManifestList;
}
