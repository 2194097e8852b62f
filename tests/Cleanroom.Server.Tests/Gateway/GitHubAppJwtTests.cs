using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class GitHubAppJwtTests
{
    [Fact]
    public void The_jwt_is_rs256_over_iss_iat_and_exp_and_verifies_with_the_public_key()
    {
        using var key = RSA.Create(2048);
        var now = new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero);

        var jwt = GitHubAppJwt.Create("12345", key, now);

        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        using var payload = JsonDocument.Parse(Base64Url(parts[1]));
        Assert.Equal("12345", payload.RootElement.GetProperty("iss").GetString());
        Assert.Equal(now.ToUnixTimeSeconds() - 60, payload.RootElement.GetProperty("iat").GetInt64());
        var exp = payload.RootElement.GetProperty("exp").GetInt64();
        Assert.InRange(exp - now.ToUnixTimeSeconds(), 60, 600);
        Assert.False(payload.RootElement.TryGetProperty("nbf", out _));

        // Verified independently of the library that signed it: RSASSA-PKCS1-v1_5 with SHA-256 over "header.payload".
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        Assert.True(publicKey.VerifyData(signed, Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        using var otherKey = RSA.Create(2048);
        Assert.False(otherKey.VerifyData(signed, Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void A_private_key_loads_from_pkcs1_and_pkcs8_pem_and_anything_else_is_refused_without_its_contents()
    {
        using var key = RSA.Create(2048);
        var directory = Directory.CreateTempSubdirectory("cleanroom-appkey-");
        try
        {
            var pkcs1 = Path.Combine(directory.FullName, "pkcs1.pem");
            File.WriteAllText(pkcs1, key.ExportRSAPrivateKeyPem());
            var pkcs8 = Path.Combine(directory.FullName, "pkcs8.pem");
            File.WriteAllText(pkcs8, key.ExportPkcs8PrivateKeyPem());
            var publicOnly = Path.Combine(directory.FullName, "public.pem");
            File.WriteAllText(publicOnly, key.ExportSubjectPublicKeyInfoPem());
            var ec = Path.Combine(directory.FullName, "ec.pem");
            using (var ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                File.WriteAllText(ec, ecKey.ExportECPrivateKeyPem());
            var garbage = Path.Combine(directory.FullName, "garbage.pem");
            File.WriteAllText(garbage, "not a key at all SECRETISH");

            using (var loaded = GitHubAppKey.TryLoad(pkcs1, out var problem))
                Assert.True(loaded is not null, problem);
            using (var loaded = GitHubAppKey.TryLoad(pkcs8, out var problem))
                Assert.True(loaded is not null, problem);
            foreach (var (path, expected) in new[]
                     {
                         (Path.Combine(directory.FullName, "absent.pem"), "does not exist"), (publicOnly, "private key"), (ec, "RSA"), (garbage, "PEM RSA private key"),
                     })
            {
                Assert.Null(GitHubAppKey.TryLoad(path, out var problem));
                Assert.Contains(expected, problem);
                Assert.DoesNotContain("SECRETISH", problem);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }
}
