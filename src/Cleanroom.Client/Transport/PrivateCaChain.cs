using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cleanroom.Client;

/// <summary>
/// Whether a certificate chains to a small private CA (<c>cleanroom tls init</c>'s, or a team's bundle) and to nothing
/// else: the system's roots are not consulted and revocation is not checked (such a CA publishes no lists). One rule
/// for both ends: the client checking the server, the server checking a client certificate (mTLS).
/// </summary>
internal static class PrivateCaChain
{
    /// <summary>The extended key usage a client certificate must carry (TLS client authentication).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection roots, Oid? requiredUsage = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (requiredUsage is not null)
            chain.ChainPolicy.ApplicationPolicy.Add(requiredUsage);
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
