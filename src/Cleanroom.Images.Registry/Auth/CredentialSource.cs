using System.Text;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Images.Registry.Auth;

/// <summary>
/// Finds the credential for a registry: the runtime config's map first, then the Docker config's
/// <c>auths.&lt;registry&gt;.auth</c> (base64 <c>user:password</c>). Docker writes keys in several spellings
/// (<c>https://index.docker.io/v1/</c>, <c>ghcr.io</c>, <c>http://host:port</c>), so keys are compared by host.
/// Credential helpers (<c>credsStore</c>, <c>credHelpers</c>) are not run.
/// </summary>
internal sealed class CredentialSource(RegistryOptions options)
{
    private readonly Lazy<IReadOnlyDictionary<string, RegistryCredential>> dockerConfig = new(() => ReadDockerConfig(options.DockerConfigPath));

    public RegistryCredential? Find(string registry)
    {
        foreach (var (key, credential) in options.Credentials)
        {
            if (HostOf(key) == HostOf(registry))
            {
                return credential;
            }
        }

        return dockerConfig.Value.TryGetValue(HostOf(registry), out var found) ? found : null;
    }

    /// <summary><c>https://index.docker.io/v1/</c> → <c>docker.io</c>; <c>http://127.0.0.1:5000</c> → <c>127.0.0.1:5000</c>.</summary>
    internal static string HostOf(string key)
    {
        var host = key.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var slash = host.IndexOf('/');
        host = (slash >= 0 ? host[..slash] : host).ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "docker.io" : host;
    }

    private static IReadOnlyDictionary<string, RegistryCredential> ReadDockerConfig(string? configuredPath)
    {
        var path = configuredPath ?? DefaultDockerConfigPath();
        var found = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return found;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                return found;
            }

            foreach (var entry in auths.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Object
                    && entry.Value.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String
                    && Decode(auth.GetString()!) is { } credential)
                {
                    found.TryAdd(HostOf(entry.Name), credential);
                }
            }

            return found;
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.ConfigInvalid, $"Docker config {path} is not valid JSON: {e.Message}", e);
        }
    }

    private static RegistryCredential? Decode(string base64)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var colon = text.IndexOf(':');
            return colon > 0 ? new RegistryCredential(text[..colon], text[(colon + 1)..]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string DefaultDockerConfigPath()
    {
        var dockerConfig = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return !string.IsNullOrEmpty(dockerConfig) ? Path.Combine(dockerConfig, "config.json")
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".docker", "config.json")
            : "";
    }
}
