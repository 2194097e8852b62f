using System.Text.Json;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>A sandbox as recorded in the store: what was asked for, where it is, and why it failed if it did.</summary>
public sealed record Sandbox
{
    public required string Id { get; init; }
    public required SandboxStatus Status { get; init; }
    /// <summary>The backend that runs it; before resolution the requested name, null when none was named.</summary>
    public string? Backend { get; init; }
    public required string ImageRef { get; init; }
    public required SandboxPolicy Policy { get; init; }
    /// <summary>Egress enforcement was turned off for this sandbox by the requester (<c>--dangerously-allow-all</c>).</summary>
    public bool AllowAll { get; init; }
    public SandboxResources Resources { get; init; } = SandboxResources.Unspecified;
    public JsonElement? RuntimeConfig { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>An <see cref="Cleanroom.Errors.ErrorCode"/> when the failure has one (e.g. backend_capability_mismatch).</summary>
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    /// <summary>
    /// The principal that created it (the API caller, e.g. <c>uid:1000</c>, <c>ci-bot</c>, <c>CN=alice</c>); null when
    /// it was created anonymously or before owners were recorded.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>True when the sandbox carries every one of <paramref name="labels"/> with the same value.</summary>
    public bool HasLabels(IEnumerable<KeyValuePair<string, string>> labels) =>
        labels.All(l => Labels.TryGetValue(l.Key, out var value) && value == l.Value);
}
