using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cleanroom.Server.Routes;

/// <summary>
/// The server's own certificate authority for HTTPS routes: made once under the config directory (ca.pem, and
/// ca-key.pem readable by its owner only), then a certificate per route host, made in memory on first use. The CA is
/// name-constrained to <see cref="RouteHosts.Domain"/>: trusting it lets a browser or curl accept route hosts, and
/// nothing else, even if its key were taken.
/// </summary>
internal sealed class LocalCertificateAuthority
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(90);
    private readonly X509Certificate2 _ca;
    private readonly ConcurrentDictionary<string, X509Certificate2> _leaves = new(StringComparer.Ordinal);

    private LocalCertificateAuthority(X509Certificate2 ca, string certificatePath)
    {
        _ca = ca;
        CertificatePath = certificatePath;
    }

    /// <summary>The CA certificate (PEM) to trust, e.g. <c>curl --cacert</c>.</summary>
    public string CertificatePath { get; }

    /// <param name="certificatePath">Where the CA certificate is or goes (<c>HostDirectories.RoutesCaCertificate</c>).</param>
    public static LocalCertificateAuthority LoadOrCreate(string certificatePath)
    {
        var keyPath = Path.Combine(Path.GetDirectoryName(certificatePath)!, "ca-key.pem");
        if (File.Exists(certificatePath) && File.Exists(keyPath))
            return new LocalCertificateAuthority(X509Certificate2.CreateFromPemFile(certificatePath, keyPath), certificatePath);

        Directory.CreateDirectory(Path.GetDirectoryName(certificatePath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Cleanroom local routes CA ({Environment.MachineName})", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(PermittedDnsSubtree(RouteHosts.Domain));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(CaLifetime));

        // The key first, owner-only, so a CA certificate never exists without its key (a half-made CA is remade).
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(keyPath + ".tmp", keyPem);
        File.SetUnixFileMode(keyPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(keyPath + ".tmp", keyPath, overwrite: true);
        File.WriteAllText(certificatePath + ".tmp", ca.ExportCertificatePem());
        File.Move(certificatePath + ".tmp", certificatePath, overwrite: true);
        return new LocalCertificateAuthority(X509Certificate2.CreateFromPemFile(certificatePath, keyPath), certificatePath);
    }

    /// <summary>A certificate for exactly <paramref name="host"/>, signed by this CA (made once per host).</summary>
    public X509Certificate2 CertificateFor(string host) => _leaves.GetOrAdd(host, Issue);

    private X509Certificate2 Issue(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        using var signed = request.Create(_ca, now.AddMinutes(-5), now.Add(LeafLifetime), serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>NameConstraints (RFC 5280 4.2.1.10) permitting only DNS names under <paramref name="domain"/>, critical.</summary>
    private static X509Extension PermittedDnsSubtree(string domain)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        using (writer.PushSequence())
            writer.WriteCharacterString(UniversalTagNumber.IA5String, domain, new Asn1Tag(TagClass.ContextSpecific, 2));
        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }
}
