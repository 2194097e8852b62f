using Cleanroom.Backends;
using Cleanroom.RuntimeConfig;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server;

/// <summary>
/// The backends this build of Cleanroom offers, strongest isolation first: the registry picks the first
/// usable one when neither the request nor the runtime config names a backend.
/// </summary>
public static class BackendCatalog
{
    public static BackendRegistry ForHost(RuntimeConfiguration configuration, HostDirectories directories, ILoggerFactory loggers)
    {
        var registry = new BackendRegistry();
        // Real backends register here as they land (gvisor, then qemu). Until then CreateSandbox fails
        // closed with backend_unavailable rather than pretending to run anything.
        _ = configuration;
        _ = directories;
        _ = loggers;
        return registry;
    }
}
