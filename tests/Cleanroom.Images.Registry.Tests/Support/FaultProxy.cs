using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Images.Registry.Tests.Support;

/// <summary>
/// A reverse proxy on 127.0.0.1 in front of a <see cref="LocalRegistry"/> that can damage one blob's bytes, or cut
/// one blob's first download off after some bytes (later requests, with their Range, go through untouched). It
/// records every request, so tests can see what a pull asked for.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly HttpClient upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = System.Net.DecompressionMethods.None });
    private readonly Uri target;
    private WebApplication? app;
    private int cutsLeft;

    private FaultProxy(string registryHost) => target = new Uri($"http://{registryHost}");

    public int Port { get; private set; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Method, path and Range header of every request, in order.</summary>
    public ConcurrentQueue<(string Method, string Path, string? Range)> Requests { get; } = new();

    /// <summary>A blob whose bytes are served with one byte flipped, every time.</summary>
    public string? CorruptBlob { get; set; }

    /// <summary>A blob whose first download is cut off after <see cref="CutAfterBytes"/> bytes.</summary>
    public string? CutBlob { get; set; }

    public long CutAfterBytes { get; set; }

    public static async Task<FaultProxy> StartAsync(string registryHost)
    {
        var proxy = new FaultProxy(registryHost) { cutsLeft = 1 };
        var (app, port) = await LoopbackServer.StartAsync(web => web.Run(proxy.ForwardAsync));
        proxy.app = app;
        proxy.Port = port;
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path + context.Request.QueryString;
        Requests.Enqueue((context.Request.Method, context.Request.Path.ToString(), context.Request.Headers.Range.FirstOrDefault()));
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, path));
        foreach (var header in new[] { "Authorization", "Accept", "Range" })
        {
            if (context.Request.Headers.TryGetValue(header, out var values))
            {
                request.Headers.TryAddWithoutValidation(header, values.ToArray());
            }
        }

        using var response = await upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Connection" or "Keep-Alive"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        var isBlob = context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal);
        var corrupt = isBlob && CorruptBlob is not null && context.Request.Path.Value!.EndsWith(CorruptBlob, StringComparison.Ordinal);
        var cut = isBlob && CutBlob is not null && context.Request.Path.Value!.EndsWith(CutBlob, StringComparison.Ordinal)
                  && Interlocked.Decrement(ref cutsLeft) >= 0;
        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[16384];
        long sent = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (corrupt && sent == 0)
            {
                buffer[read / 2] ^= 0xff;
            }

            if (cut && sent + read >= CutAfterBytes)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, (int)(CutAfterBytes - sent)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return;
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            sent += read;
        }
    }
}
