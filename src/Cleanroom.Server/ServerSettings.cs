using System.Text.Json;
using System.Text.Json.Serialization;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server;

/// <summary>What the server takes from the runtime config when it starts.</summary>
public sealed record ServerSettings(RuntimeConfiguration Configuration)
{
    /// <summary>The configured default backend; null lets the registry pick the strongest usable one.</summary>
    public string? DefaultBackend => Configuration.DefaultBackend;

    /// <summary>Where uploads wait while they are checked, before they go into a sandbox.</summary>
    public string SpoolDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "cleanroom-spool");

    /// <summary>The HTTPS routes' local CA certificate (HostDirectories.RoutesCaCertificate); made with the first route.</summary>
    public string RoutesCaCertificate { get; init; } = Path.Combine(Path.GetTempPath(), "cleanroom-tls", "ca.pem");

    /// <summary>Largest archive copied into or out of a sandbox in one request.</summary>
    public long MaxTransferBytes => Configuration.Workspace.MaxTransferBytes;

    /// <summary>Most entries one tree listing (and so one workspace diff) returns.</summary>
    public uint MaxTreeEntries => Configuration.Workspace.MaxTreeEntries;

    /// <summary>The backend's runtime-config section as JSON, handed to the backend untouched.</summary>
    public JsonElement? BackendSection(string backend) =>
        JsonSerializer.SerializeToElement(Configuration.BackendSettings(backend), BackendSectionJson.Default.IReadOnlyDictionaryStringString);
}

/// <summary>A backend section as a JSON object of strings, generated at build time for the NativeAOT server.</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class BackendSectionJson : JsonSerializerContext;
