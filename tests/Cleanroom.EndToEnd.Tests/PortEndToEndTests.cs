using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Ports from a sandbox to the host through the real product: an HTTP server in the sandbox (busybox httpd, listening
/// on the sandbox's loopback only) reached with curl through <c>create --expose</c>, <c>expose</c> and
/// <c>port-forward</c>; a taken host port fails with port_in_use and leaves nothing; after the sandbox is removed its
/// host ports are free again.
/// </summary>
public sealed partial class PortEndToEndTests(PortEndToEndTests.RoutingServer routing) : IAsyncLifetime, IClassFixture<PortEndToEndTests.RoutingServer>
{
    private const string Page = "hello from the sandbox";

    /// <summary>A CGI script that shows the request headers a proxy must set or keep.</summary>
    private const string HeadersScript =
        "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho host=$HTTP_HOST\\necho proto=$HTTP_X_FORWARDED_PROTO\\necho forwarded-host=$HTTP_X_FORWARDED_HOST\\n";
    private readonly RealServer _server = routing.Server;
    private string _sandboxId = null!;
    private int _createdPort;

    private static string Basic => Path.Combine(Product.RepositoryRoot, "examples", "basic");

    public async Task InitializeAsync()
    {
        var created = await _server.CleanroomAsync("create", "--chdir", Basic, "--image", "cleanroom.local/busybox:latest", "--expose", "0:8080");
        Assert.True(created.ExitCode == 0, created.ToString());
        _sandboxId = created.Stdout.Trim();
        _createdPort = ExposedPort(created.Stderr);
        // httpd without -f goes to the background once it listens, so the page is served when exec returns.
        var serving = await _server.CleanroomAsync("exec", "--in", _sandboxId, "--", "sh", "-c",
            $"mkdir -p /www/cgi-bin && echo '{Page}' > /www/index.html && printf '{HeadersScript}' > /www/cgi-bin/headers"
            + " && chmod +x /www/cgi-bin/headers && httpd -p 127.0.0.1:8080 -h /www");
        Assert.True(serving.ExitCode == 0, serving.ToString());
    }

    public Task DisposeAsync() => _server.RemoveSandboxesAsync();

    /// <summary>One server for the class; each test makes (and removes) its own serving sandbox.</summary>
    public sealed class RoutingServer : IAsyncLifetime
    {
        public RealServer Server { get; private set; } = null!;

        // Port 0: the router picks a free port, so this test never meets a user's server on the default one.
        public async Task InitializeAsync() => Server = await RealServer.StartAsync(configYaml: "routes:\n  port: 0\n");

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Create_with_expose_serves_the_sandbox_port_on_the_host_and_inspect_shows_it()
    {
        Assert.Equal(Page + "\n", await CurlAsync(_createdPort));

        var inspect = await _server.CleanroomAsync("sandbox", "inspect", _sandboxId);
        Assert.Contains($"exposed:     127.0.0.1:{_createdPort} -> sandbox port 8080", inspect.Stdout);
        var json = await _server.CleanroomAsync("sandbox", "inspect", _sandboxId, "--json");
        Assert.Contains($"\"host_port\": {_createdPort}", json.Stdout);
    }

    [Fact]
    public async Task Expose_adds_a_port_and_a_taken_port_fails_with_port_in_use_leaving_nothing()
    {
        var added = await _server.CleanroomAsync("expose", "--in", _sandboxId, "--expose", "0:8080");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal(Page + "\n", await CurlAsync(ExposedPort(added.Stderr)));

        // Two exposures in one request, the second on a taken port: neither is made.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var refused = await _server.CleanroomAsync("expose", "--in", _sandboxId, "--expose", "0:8080", "--expose", $"{takenPort}:8080");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("port_in_use", refused.Stderr);
        var inspect = await _server.CleanroomAsync("sandbox", "inspect", _sandboxId);
        Assert.Equal(2, inspect.Stdout.Split('\n').Count(l => l.StartsWith("exposed:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Port_forward_carries_connections_while_it_runs()
    {
        var start = new ProcessStartInfo(Product.Cleanroom) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "port-forward", "--in", _sandboxId, "0:8080" })
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in _server.Environment)
            start.Environment[name] = value;
        using var forward = Process.Start(start)!;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var line = await forward.StandardError.ReadLineAsync(deadline.Token) ?? "";
            var port = int.Parse(ForwardingLine().Match(line) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no forwarding line: {line}"));

            Assert.Equal(Page + "\n", await CurlAsync(port));
            Assert.Equal(Page + "\n", await CurlAsync(port));

            await Shell.CheckAsync("kill", "-INT", forward.Id.ToString());
            await forward.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!forward.HasExited)
                forward.Kill();
        }
    }

    [Fact]
    public async Task After_the_sandbox_is_removed_its_host_ports_are_free()
    {
        var removed = await _server.CleanroomAsync("sandbox", "rm", _sandboxId);
        Assert.True(removed.ExitCode == 0, removed.ToString());

        using var again = new TcpListener(IPAddress.Loopback, _createdPort);
        again.Start(); // throws if the server still listened there
    }

    [Fact]
    public async Task An_https_route_serves_the_sandbox_port_with_the_local_ca_and_the_host_header_kept()
    {
        var routed = await _server.CleanroomAsync("expose", "--in", _sandboxId, "--expose-https", "web:8080");
        Assert.True(routed.ExitCode == 0, routed.ToString());
        var url = RouteLine().Match(routed.Stderr) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException(routed.Stderr);
        var ca = (await _server.CleanroomAsync("tls", "ca")).Stdout.Trim();
        Assert.True(File.Exists(ca), $"tls ca printed '{ca}'");

        Assert.Equal(Page + "\n", await Shell.CheckAsync("curl", "-sS", "-m", "10", "--cacert", ca, $"{url}/index.html"));
        var headers = await Shell.CheckAsync("curl", "-sS", "-m", "10", "--cacert", ca, $"{url}/cgi-bin/headers");
        var authority = new Uri(url).Authority;
        Assert.Contains($"host={authority}", headers);
        Assert.Contains("proto=https", headers);
        Assert.Contains($"forwarded-host={authority}", headers);
        var inspect = await _server.CleanroomAsync("sandbox", "inspect", _sandboxId);
        Assert.Contains($"route:       {url} -> sandbox port 8080", inspect.Stdout);

        // Without the CA, the certificate is not trusted: the route is real TLS, not a plain-text port.
        var untrusted = await Shell.RunAsync(["curl", "-sS", "-m", "10", $"{url}/index.html"]);
        Assert.Equal(60, untrusted.ExitCode); // curl: peer certificate cannot be authenticated
    }

    [Fact]
    public async Task A_bare_expose_https_takes_the_routes_of_the_policys_expose_section()
    {
        var repo = Directory.CreateDirectory(Path.Combine(_server.Root, "repo-routes")).FullName;
        await File.WriteAllTextAsync(Path.Combine(repo, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\nexpose:\n  https:\n    base: \"{{sandbox_id}}.cleanroom.localhost\"\n"
            + "    routes:\n      - port: 8080\n        hosts:\n          - \"{base}\"\n          - \"*.{base}\"\n");

        var routed = await _server.CleanroomAsync("expose", "--in", _sandboxId, "--chdir", repo, "--expose-https");

        Assert.True(routed.ExitCode == 0, routed.ToString());
        var url = RouteLine().Match(routed.Stderr) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException(routed.Stderr);
        Assert.StartsWith($"https://{_sandboxId}.cleanroom.localhost:", url);
        var ca = (await _server.CleanroomAsync("tls", "ca")).Stdout.Trim();
        var port = new Uri(url).Port;
        Assert.Equal(Page + "\n", await Shell.CheckAsync("curl", "-sS", "-m", "10", "--cacert", ca, $"{url}/index.html"));
        Assert.Equal(Page + "\n", await Shell.CheckAsync("curl", "-sS", "-m", "10", "--cacert", ca, $"https://app.{_sandboxId}.cleanroom.localhost:{port}/index.html"));
    }

    private static int ExposedPort(string stderr) =>
        int.Parse(ExposedLine().Match(stderr) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no exposure line in: {stderr}"));

    private static async Task<string> CurlAsync(int port) =>
        await Shell.CheckAsync("curl", "-sS", "-m", "10", $"http://127.0.0.1:{port}/index.html");

    [GeneratedRegex(@"cleanroom: exposed 127\.0\.0\.1:(\d+) -> sandbox port 8080")]
    private static partial Regex ExposedLine();

    [GeneratedRegex(@"cleanroom: exposed (https://\S+)(?: \(also [^)]*\))? -> sandbox port 8080")]
    private static partial Regex RouteLine();

    [GeneratedRegex(@"cleanroom: forwarding 127\.0\.0\.1:(\d+) -> sandbox \S+ port 8080")]
    private static partial Regex ForwardingLine();
}
