using System.Diagnostics;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// An "internet host" the test owns: a network namespace at this run's <see cref="TestAddresses"/> .2 behind a veth from the host, serving
/// files over HTTP (busybox httpd) on <see cref="Port"/>. Per the network-safety rule, egress tests aim only here.
/// <see cref="StartAsync(Func{string, Task{string[]}})"/> lets a test lay out the served tree (and httpd's config, CGI
/// programs) itself in <see cref="ContentDirectory"/>.
/// </summary>
public sealed class UpstreamNamespace : IAsyncDisposable
{
    public static readonly string Address = TestAddresses.At(2);

    /// <summary>The host's end of the link: where a test serves what the namespace's peers reach on the host (a resolver).</summary>
    public static readonly string HostAddress = TestAddresses.At(1);
    public const int Port = 8080;
    private readonly string _name = $"crtE2e{Random.Shared.Next(0x10000):x4}";
    private readonly string _content = Directory.CreateTempSubdirectory("cleanroom-e2e-www-").FullName;
    private Process? _httpd;
    private string[] _argv = [];

    public string HostLink => _name[..Math.Min(_name.Length, 15)];

    /// <summary>The namespace's <c>ip netns</c> name, for other servers the test runs in it.</summary>
    public string Name => _name;

    /// <summary>The tree httpd serves (<c>-h</c>) unless the test's own arguments say otherwise.</summary>
    public string ContentDirectory => _content;

    public static Task<UpstreamNamespace> StartAsync(string servedText) =>
        StartAsync(async content =>
        {
            await File.WriteAllTextAsync(Path.Combine(content, "hello.txt"), servedText);
            return ["-h", content];
        });

    /// <param name="prepare">Lays out <see cref="ContentDirectory"/> (its argument) and returns busybox httpd's arguments besides <c>-f -p PORT</c>.</param>
    public static async Task<UpstreamNamespace> StartAsync(Func<string, Task<string[]>> prepare)
    {
        var upstream = new UpstreamNamespace();
        try
        {
            var served = await prepare(upstream._content);
            await Shell.CheckAsync("ip", "netns", "add", upstream._name);
            await Shell.CheckAsync("ip", "link", "add", upstream.HostLink, "type", "veth", "peer", "name", "up0", "netns", upstream._name);
            await Shell.CheckAsync("ip", "addr", "add", $"{HostAddress}/30", "dev", upstream.HostLink);
            await Shell.CheckAsync("ip", "link", "set", upstream.HostLink, "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "addr", "add", $"{Address}/30", "dev", "up0");
            await Shell.CheckAsync("ip", "-n", upstream._name, "link", "set", "up0", "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "link", "set", "lo", "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "route", "add", "default", "via", HostAddress);
            var start = new ProcessStartInfo("nsenter") { UseShellExecute = false };
            string[] argv = [$"--net=/var/run/netns/{upstream._name}", "busybox", "httpd", "-f", "-p", Port.ToString(), .. served];
            foreach (var arg in argv)
            {
                start.ArgumentList.Add(arg);
            }

            upstream._argv = argv;
            upstream._httpd = Process.Start(start);
            return upstream;
        }
        catch
        {
            await upstream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the HTTP server (the namespace stays, so connections are refused): an upstream that went down.</summary>
    public async Task StopServingAsync()
    {
        if (_httpd is { HasExited: false })
        {
            _httpd.Kill();
            await _httpd.WaitForExitAsync();
        }
    }

    /// <summary>Starts the HTTP server again with the arguments it first had, after <see cref="StopServingAsync"/>; returns once it accepts connections.</summary>
    public async Task ServeAgainAsync()
    {
        if (_httpd is { HasExited: false })
            return;
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false };
        foreach (var arg in _argv)
            start.ArgumentList.Add(arg);
        _httpd = Process.Start(start);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(Address, Port, deadline.Token);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (!deadline.IsCancellationRequested)
            {
                // refused until httpd has bound its socket: the next connect waits on the network again
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_httpd is { HasExited: false })
        {
            _httpd.Kill();
            await _httpd.WaitForExitAsync();
        }

        await Shell.RunAsync(["ip", "link", "del", HostLink]);
        await Shell.RunAsync(["ip", "netns", "del", _name]);
        Directory.Delete(_content, recursive: true);
    }
}
