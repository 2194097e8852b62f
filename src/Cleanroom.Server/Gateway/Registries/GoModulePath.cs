using System.Text.RegularExpressions;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>What one path below a Go module proxy's base asks for (the GOPROXY protocol).</summary>
internal enum GoRequestKind
{
    /// <summary><c>MODULE/@v/list</c>: the known versions, one a line. Changes as versions are published.</summary>
    List,

    /// <summary><c>MODULE/@latest</c>: the latest version's info, for a module with no tagged versions. Changes.</summary>
    Latest,

    /// <summary><c>MODULE/@v/VERSION.info</c>: a version's JSON (also for queries such as a branch name, which move).</summary>
    Info,

    /// <summary><c>MODULE/@v/VERSION.mod</c>: the go.mod of a canonical version. Immutable.</summary>
    Mod,

    /// <summary><c>MODULE/@v/VERSION.zip</c>: the module zip of a canonical version. Immutable.</summary>
    Zip,

    /// <summary><c>sumdb/NAME/...</c>: the checksum database, proxied for the go client, which verifies every answer itself.</summary>
    SumDb,
}

/// <summary>
/// A path below a Go module proxy's base, checked against the GOPROXY protocol's shapes. Module paths and versions stay
/// in their case-encoded form (each capital letter as <c>!</c> and the lower-case letter, so that case-insensitive file
/// systems keep them apart): that is what the upstream expects, and the encoding is one-to-one, so the escaped path is also
/// the cache's key. A path with a capital letter or a <c>!</c> not followed by a lower-case letter is not an encoded path
/// and is refused. Pure.
/// </summary>
internal static partial class GoModulePath
{
    /// <returns>The request's kind, or null when the path is none of the protocol's shapes.</returns>
    public static GoRequestKind? Classify(string relative)
    {
        if (relative.StartsWith("sumdb/", StringComparison.Ordinal))
            return SumDb().IsMatch(relative) ? GoRequestKind.SumDb : null;
        var latest = relative.EndsWith("/@latest", StringComparison.Ordinal);
        var at = latest ? relative.Length - "/@latest".Length : relative.LastIndexOf("/@v/", StringComparison.Ordinal);
        if (at <= 0 || !IsEncodedModule(relative[..at]))
            return null;
        if (latest)
            return GoRequestKind.Latest;
        var file = relative[(at + "/@v/".Length)..];
        if (file == "list")
            return GoRequestKind.List;
        var dot = file.LastIndexOf('.');
        if (dot <= 0)
            return null;
        var version = file[..dot];
        return file[(dot + 1)..] switch
        {
            "info" when Query().IsMatch(version) && Encoded(version) => GoRequestKind.Info,
            "mod" when CanonicalVersion().IsMatch(version) && Encoded(version) => GoRequestKind.Mod,
            "zip" when CanonicalVersion().IsMatch(version) && Encoded(version) => GoRequestKind.Zip,
            _ => null,
        };
    }

    /// <summary>Whether the content at a path of this kind never changes (cached for good and pinned to its first digest).</summary>
    public static bool Immutable(GoRequestKind kind) => kind is GoRequestKind.Mod or GoRequestKind.Zip;

    /// <summary>The content type the gateway answers with (the go client reads the body whatever it says).</summary>
    public static string ContentType(GoRequestKind kind) => kind switch
    {
        GoRequestKind.Info or GoRequestKind.Latest => "application/json",
        GoRequestKind.List or GoRequestKind.Mod => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    private static bool IsEncodedModule(string module) => EncodedModule().IsMatch(module) && Encoded(module);

    /// <summary>No capital letters, and every '!' stands before the lower-case letter it encodes.</summary>
    private static bool Encoded(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiLetterUpper(text[i]))
                return false;
            if (text[i] == '!' && (i + 1 == text.Length || !char.IsAsciiLetterLower(text[i + 1])))
                return false;
        }

        return true;
    }

    // Module path elements: letters, digits and - . _ ~ (capitals encoded), no element starting or ending with a dot.
    [GeneratedRegex("^[a-z0-9!_~-][a-z0-9!._~-]*(?<!\\.)(?:/[a-z0-9!_~-][a-z0-9!._~-]*(?<!\\.))*$")]
    private static partial Regex EncodedModule();

    // vMAJOR.MINOR.PATCH, an optional pre-release and build, or +incompatible: the only versions .mod and .zip are asked for.
    [GeneratedRegex("^v(?:0|[1-9][0-9]*)\\.(?:0|[1-9][0-9]*)\\.(?:0|[1-9][0-9]*)(?:-[0-9a-z!.-]+)?(?:\\+[0-9a-z!.-]+)?$")]
    private static partial Regex CanonicalVersion();

    // A version query for .info: a canonical version, or a branch, tag or commit name.
    [GeneratedRegex("^[a-z0-9!_~+-][a-z0-9!._~+-]*$")]
    private static partial Regex Query();

    // The checksum database's endpoints: supported, latest, lookup/MODULE@VERSION, tile/H/L/NNN[/NNN...][.p/W] and tile/H/data/...
    [GeneratedRegex("^sumdb/[a-z0-9][a-z0-9.-]*/(?:supported|latest|lookup/[a-z0-9!._~/-]+@[a-z0-9!._~+-]+|tile/[0-9]+/(?:[0-9]+|data)/(?:x[0-9]{3}/)*[0-9]{3}(?:\\.p/[0-9]+)?)$")]
    private static partial Regex SumDb();
}
