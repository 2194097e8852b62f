namespace Cleanroom.Images.Registry.Distribution;

/// <summary>
/// Where an image's repository lives: the registry as references name it (<c>docker.io</c>), the host that
/// serves its API (<c>registry-1.docker.io</c>), the scheme (HTTPS unless the registry is listed insecure) and
/// the repository path (<c>library/busybox</c>).
/// </summary>
internal sealed record RepositoryLocation(string Registry, string Repository, Uri BaseUri)
{
    private const string DockerHub = "docker.io";
    private const string DockerHubApiHost = "registry-1.docker.io";

    public static RepositoryLocation Of(ImageReference reference, RegistryOptions options)
    {
        var slash = reference.Name.IndexOf('/');
        var registry = reference.Name[..slash];
        var repository = reference.Name[(slash + 1)..];
        var host = registry == DockerHub ? DockerHubApiHost : registry;
        var scheme = options.IsInsecure(registry) || options.IsInsecure(host) ? "http" : "https";
        return new RepositoryLocation(registry, repository, new Uri($"{scheme}://{host}/v2/"));
    }

    public Uri ManifestUri(string tagOrDigest) => new(BaseUri, $"{Repository}/manifests/{tagOrDigest}");

    public Uri BlobUri(Digest digest) => new(BaseUri, $"{Repository}/blobs/{digest}");

    /// <summary>The token scope a pull needs, as the token auth spec writes it.</summary>
    public string PullScope => $"repository:{Repository}:pull";
}
