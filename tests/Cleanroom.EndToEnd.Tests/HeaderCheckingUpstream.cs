using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// An API host the test owns, for secret injection: a network namespace at this run's <see cref="TestAddresses"/> .6 behind a veth from the host,
/// answering HTTPS on 443 (a certificate for <see cref="TlsName"/> from a CA made here, <see cref="CaFile"/>) and plain
/// HTTP on 8080. Each port requires one header: 200 <c>authorized PATH</c> only when it is exactly the expected value,
/// else 401. Every response also echoes the Authorization header it got (<c>X-Echo-Authorization</c>), as a careless
/// API might, so the test can check the gateway never passes a value back. Every request is recorded (Host, path).
/// The listening sockets are made inside the namespace by a thread that joins it (setns) for just that, so the
/// server itself runs in this process with no program of its own.
/// </summary>
public sealed class HeaderCheckingUpstream : IAsyncDisposable
{
    public static readonly string Address = TestAddresses.At(6);
    public static readonly string HostAddress = TestAddresses.At(5);
    public const string TlsName = "api.test";
    public const int PlainPort = 8080;

    private readonly string _name = $"crtSec{Random.Shared.Next(0x10000):x4}";
    private readonly string _directory = Directory.CreateTempSubdirectory("cleanroom-e2e-api-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly List<(string Host, string Path)> _requests = [];
    private X509Certificate2? _certificate;

    private HeaderCheckingUpstream()
    {
    }

    /// <summary>The test CA's certificate (PEM), for <c>gateway.upstream_ca_file</c>.</summary>
    public string CaFile => Path.Combine(_directory, "ca.pem");

    private string HostLink => _name[..Math.Min(_name.Length, 15)];

    /// <summary>Host header and path of every request received so far.</summary>
    public IReadOnlyList<(string Host, string Path)> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <param name="tlsHeader">The header (name, value) HTTPS requests on 443 must carry.</param>
    /// <param name="plainHeader">The header (name, value) plain HTTP requests on <see cref="PlainPort"/> must carry.</param>
    public static async Task<HeaderCheckingUpstream> StartAsync((string Name, string Value) tlsHeader, (string Name, string Value) plainHeader)
    {
        var upstream = new HeaderCheckingUpstream();
        try
        {
            upstream._certificate = upstream.MakeCertificates();
            await Shell.CheckAsync("ip", "netns", "add", upstream._name);
            await Shell.CheckAsync("ip", "link", "add", upstream.HostLink, "type", "veth", "peer", "name", "up0", "netns", upstream._name);
            await Shell.CheckAsync("ip", "addr", "add", $"{HostAddress}/30", "dev", upstream.HostLink);
            await Shell.CheckAsync("ip", "link", "set", upstream.HostLink, "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "addr", "add", $"{Address}/30", "dev", "up0");
            await Shell.CheckAsync("ip", "-n", upstream._name, "link", "set", "up0", "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "link", "set", "lo", "up");
            await Shell.CheckAsync("ip", "-n", upstream._name, "route", "add", "default", "via", HostAddress);
            upstream.Serve(443, tls: true, tlsHeader);
            upstream.Serve(PlainPort, tls: false, plainHeader);
            return upstream;
        }
        catch
        {
            await upstream.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
            listener.Dispose();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Shell.RunAsync(["ip", "link", "del", HostLink]);
        await Shell.RunAsync(["ip", "netns", "del", _name]);
        _certificate?.Dispose();
        Directory.Delete(_directory, recursive: true);
        _stop.Dispose();
    }

    private X509Certificate2 MakeCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Cleanroom e2e secrets CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");

        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={TlsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(TlsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        // Through PKCS#12 so that SslStream gets a certificate whose key it can use on every platform.
        using var withKey = leaf.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A socket bound at <see cref="Address"/>:<paramref name="port"/> inside the namespace, and its accept loop.</summary>
    private void Serve(int port, bool tls, (string Name, string Value) required)
    {
        Socket? listener = null;
        Exception? failure = null;
        // setns changes only the calling thread's namespace: a thread of its own joins, binds and ends; the socket
        // stays in the namespace it was made in.
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/var/run/netns/{_name}");
                if (SetNamespace((int)ns.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
                    throw new IOException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
                listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Parse(Address), port));
                listener.Listen(16);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw new InvalidOperationException($"cannot listen on {Address}:{port} in {_name}", failure);
        _listeners.Add(listener!);
        _loops.Add(Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var connection = await listener!.AcceptAsync(_stop.Token);
                _ = Task.Run(() => AnswerAsync(connection, tls, required));
            }
        }));
    }

    private async Task AnswerAsync(Socket connection, bool tls, (string Name, string Value) required)
    {
        using var _ = connection;
        try
        {
            Stream stream = new NetworkStream(connection, ownsSocket: false);
            if (tls)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                stream = ssl;
            }

            await using (stream)
            {
                var head = await ReadHeadAsync(stream);
                var lines = head.Split("\r\n");
                var path = lines[0].Split(' ') is { Length: 3 } parts ? parts[1] : "?";
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .Select(l => (Name: l[..l.IndexOf(':')].Trim(), Value: l[(l.IndexOf(':') + 1)..].Trim())).ToList();
                string Header(string name) => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
                lock (_requests)
                    _requests.Add((Header("Host"), path));
                var authorized = headers.Count(h => h.Name.Equals(required.Name, StringComparison.OrdinalIgnoreCase)) == 1 && Header(required.Name) == required.Value;
                var body = authorized ? $"authorized {path}\n" : "unauthorized\n";
                var response = $"HTTP/1.1 {(authorized ? "200 OK" : "401 Unauthorized")}\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n" +
                               $"X-Echo-Authorization: {Header("Authorization")}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException)
        {
            // A client that went away, or the test ending: nothing to answer.
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 65536 && await stream.ReadAsync(one) == 1)
        {
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
                break;
        }

        return Encoding.ASCII.GetString([.. buffer]);
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNamespace(int fd, int nstype);
}
