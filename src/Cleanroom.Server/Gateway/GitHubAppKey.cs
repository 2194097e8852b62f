using System.Security.Cryptography;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The GitHub App's private key, read from its PEM file (PKCS#1 <c>BEGIN RSA PRIVATE KEY</c> as GitHub issues it, or
/// PKCS#8). Problems name the file and what is wrong with it, never its contents.
/// </summary>
public static class GitHubAppKey
{
    /// <summary>The key, or null with <paramref name="problem"/> saying why it cannot be used.</summary>
    public static RSA? TryLoad(string path, out string? problem)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e is FileNotFoundException or DirectoryNotFoundException ? $"{path} does not exist" : $"{path} cannot be read";
            return null;
        }

        if (pem.Contains("BEGIN EC PRIVATE KEY", StringComparison.Ordinal) || pem.Contains("BEGIN OPENSSH PRIVATE KEY", StringComparison.Ordinal))
        {
            problem = $"{path} does not hold an RSA private key (GitHub Apps sign with RS256)";
            return null;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            // A public key imports too; signing is what it is for.
            rsa.ExportParameters(includePrivateParameters: true);
            problem = null;
            return rsa;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            problem = $"{path} does not hold a PEM RSA private key";
            return null;
        }
    }
}
