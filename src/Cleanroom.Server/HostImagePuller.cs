using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server;

/// <summary>An <see cref="ImagePuller"/> configured from the runtime config's <c>images:</c> section.</summary>
public static class HostImagePuller
{
    public static ImagePuller Create(ImageStore store, RuntimeConfiguration configuration)
    {
        var images = configuration.Images;
        var defaults = new RegistryOptions();
        return new ImagePuller(store, defaults with
        {
            InsecureRegistries = images.InsecureRegistries,
            Credentials = images.Credentials.ToDictionary(pair => pair.Key, pair => new RegistryCredential(pair.Value.Username, pair.Value.Password)),
            DockerConfigPath = images.DockerConfig ?? defaults.DockerConfigPath,
            MaxConcurrentDownloads = images.MaxConcurrentDownloads ?? defaults.MaxConcurrentDownloads,
            MaxRetries = images.MaxRetries ?? defaults.MaxRetries,
        });
    }
}
