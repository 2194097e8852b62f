using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// The digest a registry's metadata names for one immutable package file: npm's <c>dist.integrity</c> (Subresource
/// Integrity, strongest algorithm first) or <c>dist.shasum</c>, PyPI's <c>#sha256=</c> link fragment. The cache keys
/// files by it and verifies every byte against it before a file is stored or served.
/// </summary>
internal sealed record ContentDigest(string Algorithm, byte[] Value)
{
    /// <summary>The cache entry's file name, <c>sha512-HEX</c>.</summary>
    public string EntryName => $"{Algorithm}-{Convert.ToHexStringLower(Value)}";

    public override string ToString() => EntryName;

    public IncrementalHash NewHash() => IncrementalHash.CreateHash(Algorithm switch
    {
        "sha512" => HashAlgorithmName.SHA512,
        "sha256" => HashAlgorithmName.SHA256,
        _ => HashAlgorithmName.SHA1,
    });

    public bool Matches(byte[] hash) => CryptographicOperations.FixedTimeEquals(hash, Value);

    /// <summary>From a hex digest of a known algorithm; null when malformed.</summary>
    public static ContentDigest? FromHex(string algorithm, string hex)
    {
        var length = algorithm switch { "sha512" => 64, "sha256" => 32, "sha1" => 20, _ => 0 };
        if (length == 0 || hex.Length != length * 2 || !hex.All(Uri.IsHexDigit))
            return null;
        return new ContentDigest(algorithm, Convert.FromHexString(hex));
    }

    /// <summary>
    /// From an npm version's <c>dist</c>: the strongest of <c>integrity</c>'s entries (sha512, then sha256, then sha1),
    /// else <c>shasum</c> (sha1 hex). Null when neither is usable: such a tarball cannot be verified and is not served.
    /// </summary>
    public static ContentDigest? FromNpmDist(JsonNode? dist)
    {
        if (dist is not JsonObject fields)
            return null;
        if (fields["integrity"] is JsonValue integrityValue && integrityValue.TryGetValue<string>(out var integrity))
        {
            var entries = integrity.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)
                .Select(Sri).Where(d => d is not null).ToList();
            foreach (var algorithm in new[] { "sha512", "sha256", "sha1" })
            {
                if (entries.FirstOrDefault(d => d!.Algorithm == algorithm) is { } strongest)
                    return strongest;
            }
        }

        return fields["shasum"] is JsonValue shasumValue && shasumValue.TryGetValue<string>(out var shasum)
            ? FromHex("sha1", shasum.ToLowerInvariant())
            : null;
    }

    private static ContentDigest? Sri(string entry)
    {
        var dash = entry.IndexOf('-');
        if (dash <= 0)
            return null;
        var algorithm = entry[..dash];
        var encoded = entry[(dash + 1)..].Split('?')[0]; // SRI allows options after '?'
        var length = algorithm switch { "sha512" => 64, "sha256" => 32, "sha1" => 20, _ => 0 };
        var bytes = new byte[length];
        return length > 0 && Convert.TryFromBase64String(encoded, bytes, out var written) && written == length
            ? new ContentDigest(algorithm, bytes)
            : null;
    }
}

/// <summary>What the upstream sent does not match the digest its registry's metadata names; nothing was kept.</summary>
internal sealed class RegistryIntegrityException(string message) : Exception(message);
