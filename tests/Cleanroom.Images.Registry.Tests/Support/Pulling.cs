using System.Collections.Concurrent;

namespace Cleanroom.Images.Registry.Tests.Support;

/// <summary>Pullers for tests: plain HTTP allowed for the given loopback hosts, fast retries, requests counted.</summary>
public static class Pulling
{
    public static RegistryOptions Options(params string[] insecureHosts) => new()
    {
        InsecureRegistries = insecureHosts,
        DockerConfigPath = "",
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    public static ImagePuller Puller(ImageStore store, RegistryOptions options, CountingHandler? counter = null) =>
        new(store, options, counter);

    /// <summary>Records progress reports as they happen (Progress&lt;T&gt; would post them later, on the thread pool).</summary>
    public sealed class Recorder : IProgress<PullProgress>
    {
        public ConcurrentQueue<PullProgress> Reports { get; } = new();

        public void Report(PullProgress value) => Reports.Enqueue(value);
    }
}

/// <summary>Real sockets underneath; counts the requests that reach the network.</summary>
public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private int count;

    public int Count => count;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref count);
        return base.SendAsync(request, cancellationToken);
    }
}
