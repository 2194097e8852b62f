using System.Net;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// What a restore needs to start a suspended sandbox as it was started: the platform, the network namespace and whose
/// stack runs in it, and the address runsc's netstack took off the namespace's link at start (runsc moves the link's
/// addresses into the sandbox and removes them from the host's side; a restore reads them from the link again, so
/// they are put back first). Written beside the sandbox at launch (<see cref="SandboxLayout.RestoreRecipePath"/>), so
/// a server that re-adopted the sandbox after a restart can suspend and resume it too.
/// </summary>
internal sealed record RestoreRecipe(
    string Platform,
    string? NetworkNamespace,
    bool SandboxStack,
    string? Interface = null,
    IPAddress? SandboxAddress = null,
    int? PrefixLength = null,
    IPAddress? GatewayAddress = null)
{
    public static RestoreRecipe For(string platform, NetworkAttachment? network, bool sandboxStack) => new(
        platform, network?.NamespacePath, network is not null && sandboxStack,
        network?.Interface, network?.SandboxAddress, network?.PrefixLength, network?.GatewayAddress);

    /// <summary>
    /// Why this sandbox cannot be checkpointed, or null when it can: runsc refuses to checkpoint a sandbox on the
    /// host's stack, and a netstack sandbox whose address is unknown could not get its network back.
    /// </summary>
    public string? CheckpointProblem() =>
        NetworkNamespace is null ? null
        : !SandboxStack ? "it runs on the host's network stack, which runsc cannot checkpoint; set backends.gvisor.network_stack: sandbox in the runtime config (new sandboxes get gVisor's own stack)"
        : SandboxAddress is null || PrefixLength is null || Interface is null ? "its network address is unknown, so a restore could not give it back"
        : null;

    public void Write(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var json = new Utf8JsonWriter(file);
        json.WriteStartObject();
        json.WriteString("platform", Platform);
        json.WriteString("network_namespace", NetworkNamespace);
        json.WriteBoolean("sandbox_stack", SandboxStack);
        json.WriteString("interface", Interface);
        json.WriteString("sandbox_address", SandboxAddress?.ToString());
        if (PrefixLength is { } prefix)
            json.WriteNumber("prefix_length", prefix);
        json.WriteString("gateway_address", GatewayAddress?.ToString());
        json.WriteEndObject();
    }

    /// <summary>Reads the recipe; a missing or unreadable one is <paramref name="code"/> with the reason.</summary>
    public static RestoreRecipe Read(string path, string code)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            return new RestoreRecipe(
                Text(root, "platform") ?? throw new JsonException("no platform"),
                Text(root, "network_namespace"),
                root.TryGetProperty("sandbox_stack", out var stack) && stack.ValueKind == JsonValueKind.True,
                Text(root, "interface"),
                Text(root, "sandbox_address") is { } address ? IPAddress.Parse(address) : null,
                root.TryGetProperty("prefix_length", out var prefix) && prefix.TryGetInt32(out var p) ? p : null,
                Text(root, "gateway_address") is { } gateway ? IPAddress.Parse(gateway) : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            throw new CleanroomException(code, $"cannot read how the sandbox was started ({path}): {e.Message}", e);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
