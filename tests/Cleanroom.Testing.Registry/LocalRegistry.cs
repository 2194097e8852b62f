using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cleanroom.Testing.Registry;

/// <summary>How the fixture's registry lets clients in.</summary>
public enum RegistryAuthMode
{
    Anonymous,
    Basic,
    Token,
}

/// <summary>
/// Debian's docker-registry (the distribution registry v2) on 127.0.0.1 and a free port, with a generated config
/// and its storage in a temporary directory; optionally htpasswd basic auth or token auth against a
/// <see cref="TokenService"/> the fixture runs. <see cref="StartInNamespaceAsync"/> runs it instead inside a network
/// namespace the test made, at that namespace's address: a "remote" registry that only the test's own host serves.
/// Disposing kills the process and deletes everything.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Username = "puller";
    public const string Password = "s3cret-pass";
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("cleanroom-registry-");
    private readonly StringBuilder log = new();
    private Process? process;

    private string listenAddress = "127.0.0.1";
    private string? networkNamespace;

    private LocalRegistry(RegistryAuthMode mode) => Mode = mode;

    public RegistryAuthMode Mode { get; }

    public int Port { get; private set; }

    /// <summary><c>127.0.0.1:PORT</c> (or the namespace's <c>ADDRESS:PORT</c>), as image references and InsecureRegistries name it.</summary>
    public string Host => $"{listenAddress}:{Port}";

    public string StorageRoot => Path.Combine(scratch.FullName, "storage");

    public TokenService? Tokens { get; private set; }

    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    public static async Task<LocalRegistry> StartAsync(RegistryAuthMode mode = RegistryAuthMode.Anonymous)
    {
        var registry = new LocalRegistry(mode);
        try
        {
            await registry.LaunchAsync();
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An anonymous registry listening on <paramref name="address"/>:<paramref name="port"/> inside the network
    /// namespace <paramref name="networkNamespace"/> (<c>ip netns</c> name), which the caller made and routes to.
    /// </summary>
    public static async Task<LocalRegistry> StartInNamespaceAsync(string networkNamespace, string address, int port)
    {
        var registry = new LocalRegistry(RegistryAuthMode.Anonymous) { networkNamespace = networkNamespace, listenAddress = address, Port = port };
        try
        {
            await registry.LaunchAsync();
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pushes a tag of an OCI layout with skopeo, as it is (digests preserved) unless a format is asked for.</summary>
    public Task PushAsync(OciLayout layout, string tag, string repository, bool all = false, string? format = null)
    {
        var arguments = new List<string> { "copy", "--quiet", "--dest-tls-verify=false" };
        if (all)
        {
            arguments.Add("--all");
        }

        arguments.Add(format is null ? "--preserve-digests" : "--format=" + format);
        if (Mode != RegistryAuthMode.Anonymous)
        {
            arguments.Add($"--dest-creds={Username}:{Password}");
        }

        arguments.Add($"oci:{layout.Directory}:{tag}");
        arguments.Add($"docker://{Host}/{repository}:{tag}");
        return Command.RunAsync("skopeo", arguments);
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        if (Tokens is not null)
        {
            await Tokens.DisposeAsync();
        }

        scratch.Delete(recursive: true);
    }

    private async Task LaunchAsync()
    {
        if (networkNamespace is null)
        {
            Port = FreePort();
        }

        var config = new StringBuilder($"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {StorageRoot}
              delete:
                enabled: true
            http:
              addr: {listenAddress}:{Port}
              secret: cleanroom-test-secret

            """);
        if (Mode == RegistryAuthMode.Basic)
        {
            var htpasswd = await Command.RunAsync("htpasswd", ["-Bbn", Username, Password]);
            var path = Path.Combine(scratch.FullName, "htpasswd");
            await File.WriteAllTextAsync(path, htpasswd.Trim() + "\n");
            config.Append($"""
                auth:
                  htpasswd:
                    realm: cleanroom-test
                    path: {path}

                """);
        }
        else if (Mode == RegistryAuthMode.Token)
        {
            Tokens = await TokenService.StartAsync(Username, Password);
            var bundle = Path.Combine(scratch.FullName, "token-issuer.pem");
            await File.WriteAllTextAsync(bundle, Tokens.CertificatePem);
            config.Append($"""
                auth:
                  token:
                    realm: {Tokens.Realm}
                    service: {TokenService.Service}
                    issuer: {TokenService.Issuer}
                    rootcertbundle: {bundle}

                """);
        }

        var configPath = Path.Combine(scratch.FullName, "config.yml");
        await File.WriteAllTextAsync(configPath, config.ToString());
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // nsenter execs the registry in its own place, so the process this fixture kills is the registry itself.
        var start = new ProcessStartInfo(networkNamespace is null ? "docker-registry" : "nsenter") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (networkNamespace is not null)
        {
            start.ArgumentList.Add($"--net=/var/run/netns/{networkNamespace}");
            start.ArgumentList.Add("docker-registry");
        }

        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(configPath);
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler collect = (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(line.Data);
            }

            if (line.Data.Contains("listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"docker-registry exited early:\n{Log}"));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
