using Cleanroom.Agent.Client;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.Qemu.Sandbox;

/// <summary>
/// An image's run defaults applied to an execution, the same rules as every backend (docker exec's): image
/// variables first and request variables over them by name; the request's cwd and user when given, else the
/// image's; the argv as given, Entrypoint + Cmd only for an empty argv.
/// Kept identical to the gVisor backend's rules; both belong in a shared agent-backend library (README.md).
/// </summary>
internal static class ImageDefaults
{
    public static ExecutionRequest Apply(ImageConfig image, ExecutionSpec spec, bool ttySupported)
    {
        var argv = spec.Argv.Count > 0 ? spec.Argv : [.. image.Entrypoint, .. image.Cmd];
        if (argv.Count == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "the execution has no command, and the image names neither Entrypoint nor Cmd");
        if (spec.Tty && !ttySupported)
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch, "the sandbox's agent does not support a tty");

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in image.Env)
        {
            var equals = entry.IndexOf('=');
            if (equals > 0)
                environment[entry[..equals]] = entry[(equals + 1)..];
        }
        foreach (var (name, value) in spec.Env)
            environment[name] = value;

        return new ExecutionRequest(argv)
        {
            Environment = environment,
            WorkingDirectory = !string.IsNullOrEmpty(spec.Cwd) ? spec.Cwd : string.IsNullOrEmpty(image.WorkingDir) ? "/" : image.WorkingDir,
            User = !string.IsNullOrEmpty(spec.User) ? spec.User : string.IsNullOrEmpty(image.User) ? null : image.User,
            Tty = spec.Tty,
            Stdin = spec.Stdin,
        };
    }
}
