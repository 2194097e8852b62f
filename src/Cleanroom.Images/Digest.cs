using Cleanroom.Errors;

namespace Cleanroom.Images;

/// <summary>
/// A content digest, <c>sha256:&lt;64 lowercase hex&gt;</c>: the name of every blob in the store. Only sha256
/// is accepted, the same rule the policy applies to <c>sandbox.image.ref</c>.
/// </summary>
public readonly record struct Digest
{
    private const string Prefix = "sha256:";
    private const int HexLength = 64;

    private Digest(string hex) => Hex = hex;

    /// <summary>The 64 lowercase hex characters, which are also the blob's file name.</summary>
    public string Hex { get; }

    public override string ToString() => Prefix + Hex;

    /// <summary>Parses <c>sha256:hex</c>; throws invalid_argument naming what is wrong.</summary>
    public static Digest Parse(string text) =>
        TryParse(text, out var digest, out var problem)
            ? digest
            : throw new CleanroomException(ErrorCode.InvalidArgument, problem);

    public static bool TryParse(string text, out Digest digest, out string problem)
    {
        digest = default;
        problem = "";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            problem = $"digest \"{text}\" must be written sha256:<64 lowercase hex characters>";
            return false;
        }

        var hex = text[Prefix.Length..];
        if (hex.Length != HexLength || !hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            problem = $"digest \"{text}\" must have exactly {HexLength} lowercase hex characters after sha256:";
            return false;
        }

        digest = new Digest(hex);
        return true;
    }

    /// <summary>True for text that looks like a digest at all (so it is parsed as one, not as an image name).</summary>
    internal static bool LooksLikeDigest(string text) => text.StartsWith(Prefix, StringComparison.Ordinal);

    internal static Digest FromHash(byte[] sha256) => new(Convert.ToHexStringLower(sha256));
}
