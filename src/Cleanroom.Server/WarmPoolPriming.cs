using Cleanroom.ControlPlane;
using Cleanroom.Images;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Services;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server;

/// <summary>
/// At start the server warms the pool for the policy most first commands use: the starter policy (what
/// <c>cleanroom init</c> writes, and what a repository without cleanroom.yaml runs) on the runtime config's default
/// image and backend. A server whose users run other policies loses one idle spare to it, replaced on their first
/// sandbox; one whose default image is not imported skips it.
/// </summary>
internal static class WarmPoolPriming
{
    public static async Task PrimeAsync(SandboxControl control, ServerSettings settings, ImageStore images, ILogger logger, CancellationToken cancellationToken)
    {
        var configuration = settings.Configuration;
        if (configuration.WarmPool.Size == 0)
            return;
        try
        {
            var pinned = images.Resolve(configuration.DefaultImage).Reference?.ToString();
            if (pinned is null)
            {
                logger.LogInformation("warm pool: not primed, the default image {Image} has no name in the store", configuration.DefaultImage);
                return;
            }
            var compiled = PolicyCompiler.Compile(StarterPolicy.Render(pinned), "(starter policy)").Policy
                ?? throw new InvalidOperationException("the starter policy does not compile");
            await control.WarmUpAsync(SandboxRequests.For(compiled, settings.DefaultBackend, allowAll: false, settings), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The first sandbox starts cold instead; the same problem, if real, fails that create with its code.
            logger.LogInformation("warm pool: not primed ({Reason})", e.Message);
        }
    }
}
