namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>tls:</c> section: the server certificate and key of https listeners (PEM files) and, for mTLS, the CA
/// bundle client certificates must chain to. Files are read when the server starts.
/// </summary>
public sealed record TlsSettings(string? CertFile, string? KeyFile, string? ClientCaFile)
{
    public static TlsSettings Defaults { get; } = new(null, null, null);
}
