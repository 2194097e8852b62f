namespace Cleanroom.Images;

/// <summary>
/// How an image runs by default: the OCI config's Env, Entrypoint, Cmd, WorkingDir and User. An import
/// records the values given; anything left out gets <see cref="Default"/>'s value.
/// </summary>
public sealed record ImageConfig
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static ImageConfig Default { get; } = new();

    public IReadOnlyList<string> Env { get; init; } = [DefaultPath];

    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    /// <summary>The command when none is given; a shell, which both default images have.</summary>
    public IReadOnlyList<string> Cmd { get; init; } = ["/bin/sh"];

    public string WorkingDir { get; init; } = "/";

    /// <summary>User name or uid[:gid]; empty means root.</summary>
    public string User { get; init; } = "";

    // Records compare lists by reference; images compare by content.
    public bool Equals(ImageConfig? other) =>
        other is not null && Env.SequenceEqual(other.Env) && Entrypoint.SequenceEqual(other.Entrypoint)
        && Cmd.SequenceEqual(other.Cmd) && WorkingDir == other.WorkingDir && User == other.User;

    public override int GetHashCode() => HashCode.Combine(Env.Count, Entrypoint.Count, Cmd.Count, WorkingDir, User);
}
