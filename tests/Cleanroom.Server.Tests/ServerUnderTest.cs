using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Backends;
using Cleanroom.Cli;
using Cleanroom.RuntimeConfig;
using Cleanroom.TestDoubles;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Server.Tests;

/// <summary>
/// A real server (real socket, real SQLite, real API) whose backend is the host-process double, plus a
/// repository with a policy, and a way to run CLI verbs against it in-process. Removes everything on dispose.
/// </summary>
public sealed class ServerUnderTest : IAsyncDisposable
{
    public const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private ServerUnderTest(string root, CleanroomServer server)
    {
        Root = root;
        Server = server;
    }

    public string Root { get; }

    public CleanroomServer Server { get; }

    public string Repository => Path.Combine(Root, "repo");

    public string SocketPath => Path.Combine(Root, "run", "cleanroom.sock");

    public static Task<ServerUnderTest> StartAsync(BackendCapabilities? capabilities = null, string? policy = null) =>
        StartAsync(capabilities, policy, null);

    /// <summary>
    /// A server whose runtime config is made by <paramref name="configure"/> from the test's root directory (for
    /// certificate and token files there), listening also on its <c>listen:</c> addresses.
    /// </summary>
    public static async Task<ServerUnderTest> StartAsync(BackendCapabilities? capabilities, string? policy,
        Func<string, RuntimeConfiguration, RuntimeConfiguration>? configure)
    {
        var root = Directory.CreateTempSubdirectory("cleanroom-server-test-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "repo", ".git"));
        await File.WriteAllTextAsync(Path.Combine(root, "repo", "cleanroom.yaml"),
            policy ?? $"version: 1\nsandbox:\n  image:\n    ref: busybox@{Digest}\n");
        var state = Path.Combine(root, "state");
        // Data and cache as the CLI computes them from XDG_DATA_HOME/XDG_CACHE_HOME below: one image store for both.
        var directories = new HostDirectories(state, state, Path.Combine(root, "data", "cleanroom"), Path.Combine(root, "cache", "cleanroom"), Path.Combine(root, "run"));
        var backends = new BackendRegistry().Register(new HostProcessBackend(capabilities ?? HostProcessBackend.FullCapabilities));
        try
        {
            // The HTTPS router on a port the system picks: never the default one a user's server may hold.
            var configuration = RuntimeConfiguration.Empty with { Routes = new RouteSettings(0, "127.0.0.1") };
            if (configure is not null) configuration = configure(root, configuration);
            var server = await CleanroomServer.StartAsync(
                [new UnixApiAddress(Path.Combine(root, "run", "cleanroom.sock")), .. configuration.Listen.Select(ApiAddress.Parse)],
                directories, configuration, backends, NullLoggerFactory.Instance, CancellationToken.None);
            return new ServerUnderTest(root, server);
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    public CleanroomClient Client() => new(new UnixApiAddress(SocketPath));

    /// <summary>Runs <c>cleanroom ARGS</c> in-process from the repository, talking to this server.</summary>
    public Task<CliResult> RunCliAsync(params string[] args) => RunCliWithStdinAsync(null, args);

    /// <summary>Runs <c>cleanroom ARGS</c> in-process with <paramref name="stdin"/> as its (non-terminal) stdin.</summary>
    public async Task<CliResult> RunCliWithStdinAsync(Stream? stdin, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["HOME"] = Root,
            ["CLEANROOM_HOST"] = "unix://" + SocketPath,
            ["PATH"] = "/usr/bin:/bin",
            ["XDG_DATA_HOME"] = Path.Combine(Root, "data"),
            ["XDG_CACHE_HOME"] = Path.Combine(Root, "cache"),
        };
        var (stdout, stderr) = (new MemoryStream(), new MemoryStream());
        var (text, errorText) = (new StringWriter(), new StringWriter());
        var console = new CliConsole(text, errorText, name => env.GetValueOrDefault(name), Repository) { RawOut = stdout, RawError = stderr, RawIn = stdin };
        var code = await CliApplication.RunAsync(args, console);
        return new CliResult(code,
            text.ToString() + System.Text.Encoding.UTF8.GetString(stdout.ToArray()),
            errorText.ToString() + System.Text.Encoding.UTF8.GetString(stderr.ToArray()));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var sandbox in await Server.Control.ListSandboxesAsync(CancellationToken.None))
            {
                await Server.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);
            }
        }
        finally
        {
            await Server.DisposeAsync();
            Directory.Delete(Root, recursive: true);
        }
    }
}

public sealed record CliResult(int ExitCode, string Out, string Error);
