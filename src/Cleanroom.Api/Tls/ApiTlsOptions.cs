namespace Cleanroom.Api.Tls;

/// <summary>
/// The TLS files of the server's https listeners (the runtime config's <c>tls:</c> section, or <c>serve</c>'s flags).
/// </summary>
/// <param name="CertificateFile">PEM certificate of the server (its chain may follow).</param>
/// <param name="KeyFile">PEM private key of that certificate.</param>
/// <param name="ClientCaFile">
/// PEM CA bundle for client certificates (mTLS): a client certificate, when sent, must chain to one of these or the
/// handshake fails; its subject becomes the caller's principal. Null: clients are not asked for a certificate.
/// </param>
public sealed record ApiTlsOptions(string CertificateFile, string KeyFile, string? ClientCaFile = null);
