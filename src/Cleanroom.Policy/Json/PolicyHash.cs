using System.Security.Cryptography;
using System.Text;

namespace Cleanroom.Policy.Json;

/// <summary>
/// <c>policy_hash</c>: "sha256:" + lowercase hex SHA-256 of the canonical JSON in UTF-8. Computed from the
/// compiled form, so every spelling of the same policy shares one hash.
/// </summary>
internal static class PolicyHash
{
    public static string Compute(string canonicalJson) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));
}
