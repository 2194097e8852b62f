using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli.Diagnostics;

/// <summary>The checks <c>cleanroom doctor</c> runs on this host, each a real probe rather than a guess.</summary>
internal static class HostChecks
{
    /// <summary>Programs the backends and the network enforcement run, with the Debian package that has each.</summary>
    private static readonly (string Program, string Package, string NeededFor)[] Tools =
    [
        ("runsc", "runsc", "the gvisor backend"),
        ("nft", "nftables", "egress enforcement"),
        ("ip", "iproute2", "per-sandbox networks"),
        ("qemu-system-x86_64", "qemu-system-x86", "the qemu backend"),
        ("mkfs.ext4", "e2fsprogs", "VM disk images and gVisor sandbox disks"),
    ];

    public static HostCheck RuntimeConfig(RuntimeConfigResult config) => config.Valid
        ? new HostCheck("runtime config", CheckOutcome.Pass, config.Exists ? $"{config.Path} is valid" : $"{config.Path} absent; defaults apply")
        : new HostCheck("runtime config", CheckOutcome.Fail, $"{config.Path}: {string.Join("; ", config.Problems)}", "fix the file, then run 'cleanroom config validate'");

    public static IEnumerable<HostCheck> ToolsOnPath(Func<string, string?> getEnvironment)
    {
        var path = (getEnvironment("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':');
        foreach (var (program, package, neededFor) in Tools)
        {
            var found = path.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
            yield return found is not null
                ? new HostCheck(program, CheckOutcome.Pass, found)
                : new HostCheck(program, CheckOutcome.Warn, $"not found; needed for {neededFor}", $"apt-get install {package} (or run scripts/setup.sh)");
        }
    }

    /// <summary>
    /// The host gateway's credentials: each token host read now the way the server reads it (in this process's
    /// environment: a server started from another shell may see other variables), each helper host (not run: a helper
    /// may prompt or have effects), and the GitHub App with whether its private key loads. Never shows a value.
    /// </summary>
    public static IEnumerable<HostCheck> GatewayCredentials(GatewaySettings gateway, Func<string, string?> environment)
    {
        var credentials = new Cleanroom.Server.Gateway.GatewayCredentials(gateway.CredentialHosts, environment);
        if (gateway.CredentialHosts.Count == 0 && gateway.GitHubApp is null)
        {
            yield return new HostCheck("gateway", CheckOutcome.Pass, $"port {gateway.ListenPort} on each sandbox link; no credential hosts configured");
            yield break;
        }

        foreach (var (host, source, problem) in credentials.Check())
        {
            var helper = gateway.CredentialHosts[host].Helper is not null;
            yield return problem is not null
                ? new HostCheck($"gateway credential {host}", CheckOutcome.Fail, $"token from {source} cannot be loaded: {problem}",
                    $"set it where the server runs (gateway.credentials.hosts.{host}); until then git requests for {host} are refused with gateway_credential_unavailable")
                : helper
                    ? new HostCheck($"gateway credential {host}", CheckOutcome.Pass, $"asks {source} for each request (not run by doctor; a failure refuses the request with credential_helper_failed)")
                    : new HostCheck($"gateway credential {host}", CheckOutcome.Pass, $"token from {source} can be loaded");
        }

        if (gateway.GitHubApp is { } app)
        {
            var name = $"gateway GitHub App {app.AppId}";
            var scope = $"installation {app.InstallationId}, {app.Host} repositories under {string.Join(", ", app.RepoPrefixes)}, tokens from {app.ApiUrl}";
            using var key = Cleanroom.Server.Gateway.GitHubAppKey.TryLoad(app.PrivateKeyFile, out var problem);
            yield return key is not null
                ? new HostCheck(name, CheckOutcome.Pass, $"{scope}; its private key loads")
                : new HostCheck(name, CheckOutcome.Fail, $"{scope}; the private key cannot be used: {problem}",
                    "fix gateway.credentials.github_app.private_key_file; the server does not start with it (config_invalid)");
        }
    }

    /// <summary>
    /// The runtime config's secrets, each read now the way the gateway reads it (in this process's environment, like the
    /// credential hosts). Never shows a value.
    /// </summary>
    public static IEnumerable<HostCheck> Secrets(IReadOnlyDictionary<string, SecretSource> sources, Func<string, string?> environment)
    {
        if (sources.Count == 0)
        {
            yield return new HostCheck("secrets", CheckOutcome.Pass, "no secrets configured; policies binding secrets are refused with secret_unavailable");
            yield break;
        }

        foreach (var (id, source, problem) in new Cleanroom.Server.Gateway.HostSecrets(sources, environment).Check())
        {
            yield return problem is null
                ? new HostCheck($"secret {id}", CheckOutcome.Pass, $"value from {source} can be loaded")
                : new HostCheck($"secret {id}", CheckOutcome.Fail, $"value from {source} cannot be loaded: {problem}",
                    $"set it where the server runs (secrets.{id}); until then sandboxes whose policy binds {id} are refused with secret_unavailable");
        }
    }

    /// <summary>IPv4 forwarding carries allowed sandbox traffic out; the server turns it on when it starts enforcement.</summary>
    public static HostCheck Forwarding()
    {
        var value = File.Exists("/proc/sys/net/ipv4/ip_forward") ? File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim() : "absent";
        var namespaces = Directory.Exists("/proc/self/ns") && File.Exists("/proc/self/ns/net");
        return !namespaces
            ? new HostCheck("network namespaces", CheckOutcome.Fail, "this kernel has no network namespaces", "egress enforcement needs them; sandboxes will run with no network")
            : value == "1"
                ? new HostCheck("ip forwarding", CheckOutcome.Pass, "on")
                : new HostCheck("ip forwarding", CheckOutcome.Pass, $"off ({value}); the server turns it on when it starts egress enforcement");
    }

    /// <summary>The default image <c>cleanroom init</c> pins, present in this host's store.</summary>
    public static HostCheck DefaultImage(Cleanroom.Images.ImageStore store, string reference)
    {
        try
        {
            return new HostCheck("default image", CheckOutcome.Pass, store.Resolve(reference).Reference?.ToString() ?? reference);
        }
        catch (Cleanroom.Errors.CleanroomException e)
        {
            return new HostCheck("default image", CheckOutcome.Warn, $"{reference}: {e.Message}", "run scripts/setup.sh to build and import the default images");
        }
    }

    public static async Task<HostCheck> ServerAsync(ApiAddress address, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new CleanroomClient(address);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            var list = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: deadline.Token);
            return new HostCheck("server", CheckOutcome.Pass, $"answering on {address} with {list.Sandboxes.Count} sandbox(es)");
        }
        catch (Exception e) when (e is Cleanroom.Errors.CleanroomException or OperationCanceledException)
        {
            return new HostCheck("server", CheckOutcome.Warn, $"not answering on {address}: {e.Message}", "start one with 'cleanroom serve &'");
        }
    }
}
