using System.Text.RegularExpressions;
using Cleanroom.Errors;

namespace Cleanroom.Images;

/// <summary>
/// An image reference <c>name[:tag][@sha256:hex]</c>, with the name normalised the way Docker and containerd
/// do, so that <c>busybox</c>, <c>library/busybox</c> and <c>docker.io/library/busybox</c> are one name:
/// a first component without '.', ':' or "localhost" is not a registry, so <c>docker.io/</c> is put in front,
/// and a one-component Docker Hub name gets <c>library/</c>. The grammar is the policy's
/// (<c>sandbox.image.ref</c>), so every policy reference parses here.
/// </summary>
public sealed partial record ImageReference
{
    private const string DefaultRegistry = "docker.io";
    private const int MaxNameLength = 255;

    private ImageReference(string name, string? tag, Digest? digest)
    {
        Name = name;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The normalised name, always with a registry: <c>docker.io/library/busybox</c>.</summary>
    public string Name { get; }

    public string? Tag { get; }

    public Digest? Digest { get; }

    /// <summary>
    /// The key of the reference table: <c>name:tag</c>, or <c>name@sha256:...</c> for a reference that names
    /// a digest and no tag.
    /// </summary>
    internal string TableKey => Tag is not null ? $"{Name}:{Tag}" : ToString();

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } digest ? "@" + digest : "");

    /// <summary>The same name and tag pinned to <paramref name="digest"/>.</summary>
    public ImageReference PinnedTo(Digest digest) => new(Name, Tag, digest);

    /// <summary>The same name with <c>latest</c> when neither a tag nor a digest was given.</summary>
    internal ImageReference WithDefaultTag() => Tag is null && Digest is null ? new(Name, "latest", null) : this;

    /// <summary>Parses and normalises; throws invalid_argument naming the part that is wrong.</summary>
    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text.Any(char.IsWhiteSpace))
        {
            throw Invalid($"image reference \"{text}\" is empty or contains white space");
        }

        var rest = text;
        Digest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!Images.Digest.TryParse(rest[(at + 1)..], out var parsed, out var problem))
            {
                throw Invalid($"image reference \"{text}\": {problem}");
            }

            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                throw Invalid($"image tag \"{tag}\" is invalid; tags are up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
            }
        }

        return new ImageReference(NormaliseName(rest, text), tag, digest);
    }

    private static string NormaliseName(string name, string text)
    {
        if (name.Length == 0)
        {
            throw Invalid($"image reference \"{text}\" has no name");
        }

        var components = name.Split('/');
        var hasRegistry = components.Length > 1
            && (components[0].Contains('.') || components[0].Contains(':') || components[0] == "localhost");
        var registry = hasRegistry ? components[0] : DefaultRegistry;
        if (hasRegistry && !RegistryPattern().IsMatch(registry))
        {
            throw Invalid($"image registry \"{registry}\" is not a valid host[:port]");
        }

        if (registry == "index.docker.io")
        {
            registry = DefaultRegistry;
        }

        var path = components.Skip(hasRegistry ? 1 : 0).ToList();
        foreach (var component in path)
        {
            if (!PathComponentPattern().IsMatch(component))
            {
                throw Invalid($"image name component \"{component}\" in \"{text}\" is invalid; use lowercase letters and digits separated by '.', '_', '__' or '-'");
            }
        }

        if (registry == DefaultRegistry && path.Count == 1)
        {
            path.Insert(0, "library");
        }

        var normalised = registry + "/" + string.Join('/', path);
        return normalised.Length <= MaxNameLength
            ? normalised
            : throw Invalid($"image name \"{normalised}\" is longer than {MaxNameLength} characters");
    }

    private static CleanroomException Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
