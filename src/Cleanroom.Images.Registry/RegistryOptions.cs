namespace Cleanroom.Images.Registry;

/// <summary>
/// How images are pulled: which registries may be spoken to over plain HTTP, whose credentials to use, and how
/// hard to try. Bound from the runtime config's <c>images</c> section by the server.
/// </summary>
public sealed record RegistryOptions
{
    /// <summary>
    /// Registries (<c>host[:port]</c>, as written in image references) reached over plain HTTP. Every other
    /// registry is HTTPS only, loopback included.
    /// </summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>Credentials by registry (<c>ghcr.io</c>, <c>docker.io</c>, <c>127.0.0.1:5000</c>); these win over the Docker config.</summary>
    public IReadOnlyDictionary<string, RegistryCredential> Credentials { get; init; } = new Dictionary<string, RegistryCredential>();

    /// <summary>
    /// A Docker <c>config.json</c> whose <c>auths.&lt;registry&gt;.auth</c> (base64 user:password) supplies credentials.
    /// Null means <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>; empty means none.
    /// </summary>
    public string? DockerConfigPath { get; init; }

    /// <summary>Blobs downloaded at once for one pull.</summary>
    public int MaxConcurrentDownloads { get; init; } = 4;

    /// <summary>
    /// Retries of a request that failed transiently (connection refused or reset, timeout, 408, 429, 5xx), and
    /// resumptions of one blob download cut off midway.
    /// </summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First retry delay; it doubles with each retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one attempt may wait for a response's headers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a blob download may go without receiving a byte before it is cut and resumed.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public bool IsInsecure(string registry) =>
        InsecureRegistries.Any(insecure => string.Equals(insecure.Trim(), registry, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A user name and password (or token) for a registry's basic auth or token service.</summary>
public sealed record RegistryCredential(string Username, string Password)
{
    // Never print a secret in a log line or an error message.
    public override string ToString() => $"{Username}:***";
}
