using Cleanroom.Agent.Client;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// Applies an image's run defaults (its OCI config) to an execution, the way <c>docker exec</c> does:
/// <list type="bullet">
/// <item>Env: the image's variables first, then the request's, which replace image variables of the same name.</item>
/// <item>Working directory and user: the request's when given, else the image's (empty user = the agent's, root).</item>
/// <item>Argv: taken as given. Entrypoint and Cmd apply only when the argv is empty (then Entrypoint + Cmd),
/// because an execution names a complete command; prefixing an image's Entrypoint to <c>sh -c ...</c> would
/// make the same request mean different things on different images.</item>
/// </list>
/// </summary>
public static class ImageDefaults
{
    private const string LoginShell =
        "shell=$(grep \"^$(id -un 2>/dev/null):\" /etc/passwd 2>/dev/null | cut -d: -f7); "
        + "case \"$shell\" in ''|*/nologin|*/false) exec /bin/sh ;; esac; "
        + "[ -x \"$shell\" ] && exec \"$shell\"; exec /bin/sh";

    public static ExecutionRequest Apply(ImageConfig image, ExecutionSpec spec, bool ttySupported)
    {
        var argv = spec.Argv.Count > 0 ? spec.Argv : [.. image.Entrypoint, .. image.Cmd];
        // A terminal with nothing named is someone asking for a shell (cleanroom console): the user's login shell
        // from the image's /etc/passwd (bash on Debian), else the POSIX one.
        if (argv.Count == 0 && spec.Tty)
            argv = ["/bin/sh", "-c", LoginShell];
        if (argv.Count == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "the execution has no command, and the image names neither Entrypoint nor Cmd");
        if (spec.Tty && !ttySupported)
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch, "the sandbox's agent does not support a tty");

        return new ExecutionRequest(argv)
        {
            Environment = MergeEnvironment(image.Env, spec.Env),
            WorkingDirectory = !string.IsNullOrEmpty(spec.Cwd) ? spec.Cwd : string.IsNullOrEmpty(image.WorkingDir) ? "/" : image.WorkingDir,
            User = !string.IsNullOrEmpty(spec.User) ? spec.User : string.IsNullOrEmpty(image.User) ? null : image.User,
            Tty = spec.Tty,
            Stdin = spec.Stdin,
            TerminalSize = new Agent.Client.TerminalSize(spec.TerminalSize.Rows, spec.TerminalSize.Columns),
        };
    }

    /// <summary>Image entries (<c>K=V</c>) in their order, then request pairs; a later name replaces an earlier value in place.</summary>
    public static IReadOnlyDictionary<string, string> MergeEnvironment(IReadOnlyList<string> imageEnv, IReadOnlyList<KeyValuePair<string, string>> requestEnv)
    {
        // Insertion-ordered as long as nothing is removed, which keeps the image's order on the wire.
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in imageEnv)
        {
            var equals = entry.IndexOf('=');
            if (equals > 0)
                merged[entry[..equals]] = entry[(equals + 1)..];
        }
        foreach (var (name, value) in requestEnv)
            merged[name] = value;
        return merged;
    }
}
