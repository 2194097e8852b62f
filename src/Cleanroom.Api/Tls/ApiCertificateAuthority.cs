using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cleanroom.Api.Tls;

/// <summary>
/// A small private CA for the API's https listeners (<c>cleanroom tls init</c>): it issues the server certificate
/// (serverAuth, names and addresses as SANs) and client certificates (clientAuth, the name as CN: the principal a
/// server with <c>tls.client_ca_file</c> sees). Keys are ECDSA P-256; everything is PEM.
/// </summary>
public sealed class ApiCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly X509Certificate2 _certificate;

    private ApiCertificateAuthority(X509Certificate2 certificate) => _certificate = certificate;

    /// <summary>The CA certificate as PEM (what clients pass as <c>--tls-ca</c> and servers as <c>tls.client_ca_file</c>).</summary>
    public string CertificatePem => _certificate.ExportCertificatePem();

    /// <summary>A new CA, valid for ten years, that may sign only end-entity certificates.</summary>
    public static ApiCertificateAuthority Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new ApiCertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10)));
    }

    /// <summary>The CA from its PEM certificate and key files.</summary>
    public static ApiCertificateAuthority Load(string certificateFile, string keyFile) =>
        new(X509Certificate2.CreateFromPemFile(certificateFile, keyFile));

    /// <summary>The CA's private key as PKCS#8 PEM.</summary>
    public string KeyPem() => _certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();

    /// <summary>A server certificate for the given DNS names and IP addresses (two years).</summary>
    public IssuedCertificate IssueServer(string commonName, IEnumerable<string> names)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name.Trim('[', ']'), out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        return Issue(commonName, ServerAuth, X509KeyUsageFlags.DigitalSignature, san.Build(), TimeSpan.FromDays(730));
    }

    /// <summary>A client certificate whose subject is <c>CN=<paramref name="name"/></c> (one year).</summary>
    public IssuedCertificate IssueClient(string name) =>
        Issue(name, ClientAuth, X509KeyUsageFlags.DigitalSignature, null, TimeSpan.FromDays(365));

    private IssuedCertificate Issue(string commonName, Oid usage, X509KeyUsageFlags keyUsage, X509Extension? san, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(commonName)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime < _certificate.NotAfter ? now + lifetime : new DateTimeOffset(_certificate.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive, as RFC 5280 asks
        using var issued = request.Create(_certificate, now.AddMinutes(-5), notAfter, serial);
        return new IssuedCertificate(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    // A name is put into a DN as one CN value: characters with meaning in DN syntax would make it another DN.
    private static string Escape(string name) =>
        name.Any(c => c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' || char.IsControl(c))
            ? throw new ArgumentException($"'{name}' has characters a certificate name may not hold", nameof(name))
            : name;

    public void Dispose() => _certificate.Dispose();
}

/// <summary>A certificate and its private key, both PEM.</summary>
public sealed record IssuedCertificate(string CertificatePem, string KeyPem);
