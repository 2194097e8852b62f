using System.Security.Cryptography;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Sandbox and execution ids: a kind prefix and 12 random lower-case base32 characters (60 bits), short
/// enough to type, random enough never to collide or be guessed, and safe as a file name.
/// </summary>
internal static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string NewSandboxId() => "sb-" + RandomPart();

    public static string NewExecutionId() => "ex-" + RandomPart();

    private static string RandomPart()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[12];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = Alphabet[bytes[i] & 31];
        return new string(chars);
    }
}
