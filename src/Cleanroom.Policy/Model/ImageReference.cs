using System.Text.RegularExpressions;

namespace Cleanroom.Policy;

/// <summary>
/// A digest-pinned OCI image reference, <c>name[:tag]@sha256:&lt;64 lowercase hex&gt;</c>. The digest is what
/// makes a sandbox reproducible; a tag may ride along for humans but never decides which image runs.
/// </summary>
public sealed partial record ImageReference(string Reference, string Name, string? Tag, string Digest)
{
    private const int MaxNameLength = 255;
    private const int Sha256HexLength = 64;

    /// <summary>Parses and validates a reference; returns null with <paramref name="error"/> set when invalid.</summary>
    internal static ImageReference? Parse(string text, out string error)
    {
        error = "";
        var at = text.IndexOf('@');
        if (at < 0)
        {
            error = $"image ref \"{text}\" is not pinned by digest; write name[:tag]@sha256:<64 hex characters> (a tag alone can change under you)";
            return null;
        }

        var namePart = text[..at];
        var digest = text[(at + 1)..];
        error = DigestProblem(digest) ?? "";
        if (error.Length > 0)
        {
            return null;
        }

        string? tag = null;
        var name = namePart;
        var lastColon = namePart.LastIndexOf(':');
        if (lastColon > namePart.LastIndexOf('/'))
        {
            tag = namePart[(lastColon + 1)..];
            name = namePart[..lastColon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"image tag \"{tag}\" is invalid; tags are up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'";
                return null;
            }
        }

        error = NameProblem(name) ?? "";
        return error.Length > 0 ? null : new ImageReference(text, name, tag, digest);
    }

    private static string? DigestProblem(string digest)
    {
        var colon = digest.IndexOf(':');
        if (colon < 0)
        {
            return $"image digest \"{digest}\" must be written as sha256:<64 hex characters>";
        }

        var algorithm = digest[..colon];
        var hex = digest[(colon + 1)..];
        if (algorithm != "sha256")
        {
            return $"image digest algorithm \"{algorithm}\" is not supported; only sha256 digests are accepted";
        }

        if (hex.Any(char.IsAsciiLetterUpper) && hex.All(char.IsAsciiHexDigit))
        {
            return "image digest must be lowercase hex";
        }

        if (!hex.All(char.IsAsciiHexDigit))
        {
            return "image digest contains characters that are not hex digits";
        }

        return hex.Length != Sha256HexLength
            ? $"image digest has {hex.Length} hex characters; a sha256 digest has exactly {Sha256HexLength}"
            : null;
    }

    // Follows the OCI distribution reference grammar: an optional registry (recognised, as Docker does, by a
    // '.' or ':' or being "localhost"), then lowercase path components separated by '/'.
    private static string? NameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "image ref has no repository name before the digest";
        }

        if (name.Length > MaxNameLength)
        {
            return $"image name is longer than {MaxNameLength} characters";
        }

        var components = name.Split('/');
        var pathStart = 0;
        if (components.Length > 1 && (components[0].Contains('.') || components[0].Contains(':')
            || components[0] == "localhost" || components[0].Any(char.IsAsciiLetterUpper)))
        {
            if (!RegistryPattern().IsMatch(components[0]))
            {
                return $"image registry \"{components[0]}\" is not a valid host[:port]";
            }

            pathStart = 1;
        }

        foreach (var component in components.Skip(pathStart))
        {
            if (component.Length == 0)
            {
                return $"image name \"{name}\" has an empty path component";
            }

            if (component.Any(char.IsAsciiLetterUpper))
            {
                return $"image name component \"{component}\" must be lowercase";
            }

            if (!PathComponentPattern().IsMatch(component))
            {
                return $"image name component \"{component}\" is invalid; use lowercase letters and digits separated by '.', '_', '__' or '-'";
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?\z")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\z")]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagPattern();
}
