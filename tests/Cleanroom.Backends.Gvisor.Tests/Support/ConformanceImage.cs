using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>
/// The image every backend's conformance run uses: the busybox rootfs from scripts/build-images.sh with a
/// config whose defaults the tests can see (an extra variable and a working directory other than /).
/// </summary>
public static class ConformanceImage
{
    public const string Reference = "cleanroom-test/busybox:conformance";
    public const string ImageVariable = "CLEANROOM_IMAGE_VAR";
    public const string ImageVariableValue = "from-image";
    public const string WorkingDirectory = "/workspace";

    public static ImageConfig Config { get; } = new()
    {
        Env = [ImageConfig.DefaultPath, $"{ImageVariable}={ImageVariableValue}"],
        WorkingDir = WorkingDirectory,
    };

    /// <summary>Imports the image into <paramref name="store"/>; returns its pinned reference.</summary>
    public static async Task<string> ImportAsync(ImageStore store, CancellationToken cancellationToken)
    {
        await using var tar = File.OpenRead(await BuildScripts.BusyboxTarAsync(cancellationToken));
        var image = await store.ImportAsync(Reference, tar, Config, cancellationToken);
        return image.Reference!.ToString();
    }
}
