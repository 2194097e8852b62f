using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cleanroom.Errors;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Cleanroom.Api.Tls;

/// <summary>
/// Kestrel's TLS settings for the https listeners, loaded once at start from <see cref="ApiTlsOptions"/>: the server
/// certificate and, for mTLS, the client CA whose certificates alone pass the handshake.
/// </summary>
internal static class ListenerTls
{
    /// <exception cref="CleanroomException">config_invalid when a file cannot be read or holds no usable certificate or key.</exception>
    public static HttpsConnectionAdapterOptions Load(ApiTlsOptions options)
    {
        var certificate = Read(options.CertificateFile, "tls.cert_file", () =>
        {
            using var fromPem = X509Certificate2.CreateFromPemFile(options.CertificateFile, options.KeyFile);
            // An ephemeral key from PEM is exported to PKCS#12 and back so that every TLS stack can use it.
            return X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), null);
        });
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        };
        if (options.ClientCaFile is { } caFile)
        {
            var roots = Read(caFile, "tls.client_ca_file", () => { var c = new X509Certificate2Collection(); c.ImportFromPemFile(caFile); return c; });
            if (roots.Count == 0) throw new CleanroomException(ErrorCode.ConfigInvalid, $"tls.client_ca_file {caFile} holds no PEM certificate");
            // Allow, not require: a caller with a bearer token and no certificate is still served. A certificate that
            // is sent must chain to the bundle, or the handshake fails.
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            // A server certificate from the same CA is not a client credential: the client-authentication usage is required.
            https.ClientCertificateValidation = (presented, _, _) => Cleanroom.Client.PrivateCaChain.ChainsTo(presented, roots, Cleanroom.Client.PrivateCaChain.ClientAuthentication);
        }
        return https;
    }

    private static T Read<T>(string path, string key, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new CleanroomException(ErrorCode.ConfigInvalid, $"{key} {path}: {e.Message}");
        }
    }
}
