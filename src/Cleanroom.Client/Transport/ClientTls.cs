using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Client;

/// <summary>
/// The TLS side of a connection to an <c>https://</c> address: which CA the server's certificate must chain to (a
/// private CA from <c>--tls-ca</c>, else the system's) and the client certificate for a server that verifies clients.
/// </summary>
internal static class ClientTls
{
    /// <exception cref="CleanroomException">invalid_argument when TLS files go with a non-https address or cannot be read.</exception>
    public static SslClientAuthenticationOptions? For(CleanroomClientOptions options)
    {
        var anyFile = options.TlsCaFile is not null || options.TlsCertificateFile is not null || options.TlsKeyFile is not null;
        if (options.Address is not HttpsApiAddress)
        {
            if (anyFile)
                throw new CleanroomException(ErrorCode.InvalidArgument,
                    $"--tls-ca, --tls-cert and --tls-key apply to https:// addresses; the server's address is {options.Address}");
            return null;
        }
        if ((options.TlsCertificateFile is null) != (options.TlsKeyFile is null))
            throw new CleanroomException(ErrorCode.InvalidArgument, "a client certificate needs both --tls-cert and --tls-key");

        var ssl = new SslClientAuthenticationOptions();
        if (options.TlsCaFile is { } caFile)
        {
            var roots = Load(caFile, "--tls-ca", () => { var c = new X509Certificate2Collection(); c.ImportFromPemFile(caFile); return c; });
            if (roots.Count == 0) throw new CleanroomException(ErrorCode.InvalidArgument, $"--tls-ca {caFile} holds no PEM certificate");
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && PrivateCaChain.ChainsTo(certificate, roots)
                // The name must still match: the private CA vouches for the key, the name says it is this server.
                && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        }
        if (options.TlsCertificateFile is { } certFile)
        {
            var identity = Load(certFile, "--tls-cert", () => X509Certificate2.CreateFromPemFile(certFile, options.TlsKeyFile));
            // Always offer it: the server's list of acceptable issuers may not name our CA the way .NET expects.
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => identity;
        }
        return ssl;
    }

    private static T Load<T>(string path, string flag, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"cannot read {flag} {path}: {e.Message}");
        }
    }
}
