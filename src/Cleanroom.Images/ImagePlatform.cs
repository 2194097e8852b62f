using Cleanroom.Errors;

namespace Cleanroom.Images;

/// <summary>
/// An OCI platform, <c>os/architecture[/variant]</c>: which manifest of a multi-platform image index is meant.
/// Sandboxes run on <see cref="Host"/>; another platform is chosen only when asked for.
/// </summary>
public sealed record ImagePlatform(string Os, string Architecture, string? Variant = null)
{
    /// <summary>The platform sandboxes run on here: linux/amd64.</summary>
    public static ImagePlatform Host { get; } = new("linux", "amd64");

    public override string ToString() => Os + "/" + Architecture + (string.IsNullOrEmpty(Variant) ? "" : "/" + Variant);

    /// <summary>Parses <c>os/arch[/variant]</c> (<c>linux/arm64</c>, <c>linux/arm/v7</c>); throws invalid_argument.</summary>
    public static ImagePlatform Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(part => part.Length == 0 || part.Any(char.IsWhiteSpace)))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"platform \"{text}\" must be written os/architecture[/variant], e.g. linux/amd64 or linux/arm/v7");
        }

        return new ImagePlatform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>
    /// Whether an index entry's platform is this one. A variant left out here matches any; arm64's default
    /// variant v8 matches none written, as registries write it either way.
    /// </summary>
    public bool Matches(string? os, string? architecture, string? variant)
    {
        if (!string.Equals(Os, os, StringComparison.Ordinal) || !string.Equals(Architecture, architecture, StringComparison.Ordinal))
        {
            return false;
        }

        return string.IsNullOrEmpty(Variant) || NormaliseVariant(Variant) == NormaliseVariant(variant);
    }

    private string NormaliseVariant(string? variant) =>
        Architecture == "arm64" && (string.IsNullOrEmpty(variant) || variant == "v8") ? "" : variant ?? "";
}
