using System.Text.Json;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server;

/// <summary>What the server takes from the runtime config when it starts.</summary>
public sealed record ServerSettings(RuntimeConfiguration Configuration)
{
    /// <summary>The configured default backend; null lets the registry pick the strongest usable one.</summary>
    public string? DefaultBackend => Configuration.DefaultBackend;

    /// <summary>The backend's runtime-config section as JSON, handed to the backend untouched.</summary>
    public JsonElement? BackendSection(string backend) =>
        JsonSerializer.SerializeToElement(Configuration.BackendSettings(backend));
}
