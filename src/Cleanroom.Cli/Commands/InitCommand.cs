using System.CommandLine;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom init</c>: writes a starter cleanroom.yaml — deny-all, commented — pinned to the digest the image
/// has in this host's store right now.
/// </summary>
internal static class InitCommand
{
    public static Command Build(CliConsole console)
    {
        var chdir = new Option<string?>("--chdir") { Description = "Directory to write cleanroom.yaml in (default: the working directory)" };
        var image = new Option<string?>("--image") { Description = "Image to pin (default: the runtime config's default_image)" };
        var force = CommonOptions.Force();
        var command = new Command("init", "Write a starter cleanroom.yaml (deny-all egress) pinned to an image's digest.") { chdir, image, force };
        command.SetAction(async (parse, token) =>
        {
            try
            {
                var directory = console.ResolvePath(parse.GetValue(chdir));
                var target = Path.Combine(directory, "cleanroom.yaml");
                if (File.Exists(target) && !parse.GetValue(force))
                {
                    console.Error.WriteLine($"cleanroom: {target} already exists; use --force to overwrite it");
                    return ExitCode.Failure;
                }

                var pinned = StarterImage.Pin(console, parse.GetValue(image));
                var text = StarterPolicy.Render(pinned);
                var check = PolicyCompiler.Compile(text, target);
                if (!check.Valid)
                {
                    throw new CleanroomException(check.Errors[0].Code, $"the starter policy for {pinned} does not validate: {check.Errors[0].Message}");
                }

                await File.WriteAllTextAsync(target, text, token);
                console.Out.WriteLine($"wrote {target} ({pinned})");
                return ExitCode.Success;
            }
            catch (CleanroomException e)
            {
                console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
                if (e.Code == ErrorCode.NotFound)
                {
                    console.Error.WriteLine("  next: run scripts/setup.sh to build the default images, or 'cleanroom image import REF ROOTFS.tar'");
                }

                return ExitCode.Failure;
            }
        });
        return command;
    }
}

/// <summary>The image a new policy is pinned to: the one asked for, else the runtime config's default, by digest.</summary>
internal static class StarterImage
{
    /// <summary><paramref name="wanted"/> (else the runtime config's default image) pinned to its digest in this host's store.</summary>
    public static string Pin(CliConsole console, string? wanted)
    {
        var config = RuntimeConfigReader.ReadFile(console.Directories.ConfigFile);
        wanted ??= config.Configuration?.DefaultImage ?? RuntimeConfiguration.BuiltInDefaultImage;
        return HostImageStore.Open(console.Directories).Resolve(wanted).Reference?.ToString()
            ?? throw new CleanroomException(ErrorCode.NotFound, $"image {wanted} has no name in the store; pass --image NAME@DIGEST");
    }
}
