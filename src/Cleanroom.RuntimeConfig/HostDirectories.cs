namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Where Cleanroom keeps things on the host, following the XDG base directory specification.
/// One place computes these so the server, the CLI and the tests agree.
/// </summary>
public sealed record HostDirectories(
    string ConfigHome,
    string StateHome,
    string DataHome,
    string CacheHome,
    string RuntimeDirectory)
{
    /// <summary>Reads XDG_* from the given environment lookup (the process environment by default).</summary>
    public static HostDirectories FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var home = NonEmpty(getEnv("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            home = "/root";
        }

        string Xdg(string variable, string fallbackUnderHome) =>
            Path.Combine(Absolute(getEnv(variable)) ?? Path.Combine(home, fallbackUnderHome), "cleanroom");

        var runtimeBase = Absolute(getEnv("XDG_RUNTIME_DIR"));
        var runtime = runtimeBase is not null
            ? Path.Combine(runtimeBase, "cleanroom")
            // Root without a login session gets the system location; anyone else a per-user /tmp directory
            // (created 0700 by whoever makes it) so two users never share a socket.
            : Environment.UserName == "root" || IsRoot() ? "/run/cleanroom" : $"/tmp/cleanroom-{Environment.UserName}";

        return new HostDirectories(
            Xdg("XDG_CONFIG_HOME", ".config"),
            Xdg("XDG_STATE_HOME", ".local/state"),
            Xdg("XDG_DATA_HOME", ".local/share"),
            Xdg("XDG_CACHE_HOME", ".cache"),
            runtime);
    }

    public string ConfigFile => Path.Combine(ConfigHome, "config.yaml");

    /// <summary>The certificate of the server's local CA for HTTPS routes (its key is beside it, owner-only).</summary>
    public string RoutesCaCertificate => Path.Combine(ConfigHome, "tls", "ca.pem");

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // The XDG specification says relative values are invalid and must be ignored.
    private static string? Absolute(string? value) => NonEmpty(value) is { } v && Path.IsPathRooted(v) ? v : null;

    private static bool IsRoot() => Environment.IsPrivilegedProcess;
}
