using System.Text.Json;
using System.Text.Json.Serialization;
using Cleanroom.Backends;

namespace Cleanroom.Workspace;

/// <summary>
/// What the server remembers about a sandbox's workspace: where it is in the guest, the commit and the
/// host checkout it came from, and the baseline (every file and link as it was put there), against
/// which sandbox-side changes are found. The baseline moves forward with each copy-in and copy-out.
/// </summary>
public sealed partial record WorkspaceRecord(string GuestPath, string Commit, string CheckoutPath, IReadOnlyDictionary<string, WorkspaceEntry> Baseline)
{
    public string ToJson() =>
        JsonSerializer.Serialize(new Stored(GuestPath, Commit, CheckoutPath, Baseline.Values.OrderBy(e => e.Path, StringComparer.Ordinal).ToList()),
            StoredJson.Default.Stored);

    public static WorkspaceRecord FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StoredJson.Default.Stored) ?? throw new JsonException("empty workspace record");
        return new WorkspaceRecord(stored.GuestPath, stored.Commit, stored.CheckoutPath,
            stored.Baseline.ToDictionary(e => e.Path, StringComparer.Ordinal));
    }

    /// <summary>The baseline after <paramref name="updates"/> (null entry = the path and everything under it is gone).</summary>
    public WorkspaceRecord Apply(IEnumerable<(string Path, WorkspaceEntry? Entry)> updates)
    {
        var baseline = new Dictionary<string, WorkspaceEntry>(Baseline, StringComparer.Ordinal);
        foreach (var (path, entry) in updates)
        {
            if (entry is null)
            {
                baseline.Remove(path);
                foreach (var below in baseline.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
                    baseline.Remove(below);
            }
            else
            {
                baseline[path] = entry;
            }
        }
        return this with { Baseline = baseline };
    }

    private sealed record Stored(string GuestPath, string Commit, string CheckoutPath, List<WorkspaceEntry> Baseline);

    /// <summary>
    /// The stored form, generated at build time (the server is a NativeAOT binary, where reflection-based JSON
    /// cannot run): snake_case names and entry kinds, as records in existing databases have them.
    /// </summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, Converters = [typeof(SnakeCaseKindConverter)])]
    [JsonSerializable(typeof(Stored))]
    private sealed partial class StoredJson : JsonSerializerContext;

    private sealed class SnakeCaseKindConverter() : JsonStringEnumConverter<GuestEntryKind>(JsonNamingPolicy.SnakeCaseLower);
}
