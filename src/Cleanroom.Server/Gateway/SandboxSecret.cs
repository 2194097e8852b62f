using System.Collections.Immutable;
using System.Security.Cryptography;
using Cleanroom.Policy;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// One of a sandbox's secret bindings with the placeholder that stands for its value in that sandbox (and only
/// there): <c>cleanroom-secret-ID-</c> and 128 random bits, made when the gateway attaches the sandbox. The guest gets
/// the placeholder in <c>CLEANROOM_SECRET_ID</c>; it is worth nothing outside that sandbox's own gateway link.
/// </summary>
internal sealed record SandboxSecret(SecretBinding Binding, string Placeholder)
{
    public static ImmutableArray<SandboxSecret> For(ImmutableArray<SecretBinding> bindings) =>
        [.. bindings.Select(b => new SandboxSecret(b, $"cleanroom-secret-{b.Id}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}"))];
}
