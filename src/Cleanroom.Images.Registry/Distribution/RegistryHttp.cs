using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Cleanroom.Images.Registry.Distribution;

/// <summary>
/// The HTTP stack for registries: sockets, then a resilience handler that retries transient failures
/// (connection errors, timeouts, 408, 429, 5xx) with exponential backoff and jitter, honouring Retry-After,
/// and bounds each attempt's wait for response headers. A body cut off midway is not this layer's job: the blob
/// download resumes it with a Range request.
/// </summary>
internal static class RegistryHttp
{
    public static HttpClient CreateClient(RegistryOptions options, HttpMessageHandler? transport)
    {
        var sockets = transport ?? new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // Redirects to blob storage drop the Authorization header (the handler does that on every redirect).
            AllowAutoRedirect = true,
        };
        var resilience = new ResilienceHandler(Pipeline(options)) { InnerHandler = sockets };
        return new HttpClient(resilience)
        {
            // Per-attempt timeouts are the pipeline's; a long blob body must not be cut by a whole-request timeout.
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestHeaders = { { "User-Agent", "cleanroom" } },
        };
    }

    private static ResiliencePipeline<HttpResponseMessage> Pipeline(RegistryOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        return builder.AddTimeout(options.RequestTimeout).Build();
    }
}
